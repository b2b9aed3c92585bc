package users

import "context"

// Small single-operation interfaces, so code that needs one call can take it
// as a parameter and a test can fake just that call. Service satisfies them.

// Inviter adds a portal user (Service.Invite).
type Inviter interface {
	Invite(ctx context.Context, req InviteRequest) (*User, error)
}

// Granter sets a user's permissions on a sales unit (Service.Grant).
type Granter interface {
	Grant(ctx context.Context, userID, msn string, perms ...Permission) (*SalesUnitAccess, error)
}

var (
	_ Inviter = (*Service)(nil)
	_ Granter = (*Service)(nil)
)
