package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

type idempotencyKeyKey struct{}

// WithIdempotencyKey returns a context whose POST carries key as its
// Idempotency-Key instead of a generated one, so a caller can retry a whole
// call (after a crash, say) without doing the work twice. The key identifies
// one logical call: a workflow of several POSTs derives one key per step with
// StepIdempotencyKey.
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

// StepIdempotencyKey returns ctx for one step of a workflow of several calls
// (Rotate's regenerations, say). When ctx carries the caller's key, the step
// gets its own key derived from it deterministically, so repeating the whole
// workflow with the same key repeats each step with that step's key:
// key+"-"+step when that fits the contract's 50 characters, else a hash of both.
// Without a caller's key, ctx is returned as is and each call generates its own.
func StepIdempotencyKey(ctx context.Context, step string) context.Context {
	key := IdempotencyKeyFrom(ctx)
	if key == "" {
		return ctx
	}
	derived := key + "-" + step
	if CheckIdempotencyKey(derived) != nil {
		sum := sha256.Sum256([]byte(key + "\x00" + step))
		derived = hex.EncodeToString(sum[:20]) // 40 characters of [0-9a-f]
	}
	return WithIdempotencyKey(ctx, derived)
}
