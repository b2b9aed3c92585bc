package keys

import "context"

// Small single-operation interfaces, so code that needs one call can take it
// as a parameter and a test can fake just that call. [Service] satisfies them;
// [Replacer] is the one Rotate itself takes.

// Getter reads a sales unit's key set ([Service.Get]).
type Getter interface {
	Get(ctx context.Context, msn string) (*Set, error)
}

// Verifier proves a key set against its token endpoint ([Service.Verify]).
type Verifier interface {
	Verify(ctx context.Context, set Set) (*Verification, error)
}

// Rotator runs the zero-downtime rotation ([Service.Rotate]).
type Rotator interface {
	Rotate(ctx context.Context, msn string, o RotateOptions) (*RotationReport, error)
}

var (
	_ Getter   = (*Service)(nil)
	_ Verifier = (*Service)(nil)
	_ Rotator  = (*Service)(nil)
)
