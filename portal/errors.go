package portal

import (
	"context"

	"github.com/vippsportal/sdk/internal/core"
)

// WithIdempotencyKey returns a context whose POST uses key as its Idempotency-Key
// instead of a generated one: repeat a call with the same key (after a crash,
// say) and the server does the work once. The key must match ^[a-zA-Z0-9-]{1,50}$.
//
// A key identifies ONE logical call: give each call its own context. The SDK's
// workflows of several POSTs ([keys.Service.Rotate],
// [webhooks.Service.RotateSecret]) derive a distinct, deterministic key per
// step from yours, so repeating the workflow with the same key is safe too.
// A key that does not match is a *[vipps.ValidationError] naming
// Idempotency-Key, before any request.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return core.WithIdempotencyKey(ctx, key)
}
