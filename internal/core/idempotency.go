package core

import (
	"context"
	"crypto/rand"
	"fmt"
)

type idempotencyKeyKey struct{}

// WithIdempotencyKey returns a context whose POST carries key as its
// Idempotency-Key instead of a generated one, so a caller can retry a whole
// call (after a crash, say) without doing the work twice.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyKey{}, key)
}

// IdempotencyKeyFrom returns the key set by WithIdempotencyKey, or "".
func IdempotencyKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKeyKey{}).(string)
	return k
}

// NewIdempotencyKey returns a random UUID (version 4): 36 characters of the
// contract's ^[a-zA-Z0-9-]{1,50}$.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
