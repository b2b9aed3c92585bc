package portal

import (
	"context"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/portal/vipps"
)

// Response is what the SDK saw of the HTTP answer behind a call's result or
// error: Operation, StatusCode, Header (credentials left out), RequestID and
// Attempts. See WithResponse.
type Response = vipps.Response

// WithResponse returns a context whose calls record the answer behind their
// result, or their error, in meta: every method keeps its typed result, and
// the status, headers, request id and attempts are there when you want them
// (for logging, or a support case with Vipps):
//
//	var meta portal.Response
//	_, err := c.SalesUnits.Get(portal.WithResponse(ctx, &meta), msn)
//	slog.Info("getMsn", "status", meta.StatusCode, "requestId", meta.RequestID, "attempts", meta.Attempts)
//
// Each call overwrites meta. Give each concurrent call its own Response.
func WithResponse(ctx context.Context, meta *Response) context.Context {
	return core.WithResponse(ctx, meta)
}
