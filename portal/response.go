package portal

import (
	"context"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// WithResponse returns a context whose calls record the answer behind their
// result, or their error, in meta: every method keeps its typed result, and
// the status, headers, request id and attempts are there when you want them
// (for logging, or a support case with Vipps):
//
//	var meta vipps.Response
//	_, err := c.SalesUnits.Get(portal.WithResponse(ctx, &meta), msn)
//	slog.Info("getMsn", "status", meta.StatusCode, "requestId", meta.RequestID, "attempts", meta.Attempts)
//
// Each call overwrites meta. Give each concurrent call its own
// [vipps.Response].
func WithResponse(ctx context.Context, meta *vipps.Response) context.Context {
	return core.WithResponse(ctx, meta)
}
