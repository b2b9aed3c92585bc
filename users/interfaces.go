package users

import (
	"context"
	"iter"

	"github.com/vippsportal/sdk/vipps"
)

// Small single-operation interfaces, so code that needs one call can take it
// as a parameter and a test can fake just that call. Service satisfies them.

// Inviter adds a portal user ([Service.Invite]).
type Inviter interface {
	Invite(ctx context.Context, req InviteRequest) (*User, error)
}

// Granter sets a user's permissions on a sales unit ([Service.Grant]).
type Granter interface {
	Grant(ctx context.Context, userID, msn string, perms ...Permission) (*SalesUnitAccess, error)
}

// Lister walks every portal user of the merchant ([Service.All]).
type Lister interface {
	All(ctx context.Context, opts *vipps.ListOptions) iter.Seq2[User, error]
}

var (
	_ Lister  = (*Service)(nil)
	_ Inviter = (*Service)(nil)
	_ Granter = (*Service)(nil)
)
