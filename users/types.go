package users

import (
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// Role is a portal user's role within its merchant. Roles change by removing a
// user and inviting the person again.
type Role string

// The contract's roles. [RoleSalesUnitManager] and [RoleAssistant] have the
// same rights in this contract: everything that needs more than a grant needs
// a [RoleAdministrator].
const (
	RoleAdministrator    Role = "ADMINISTRATOR"
	RoleSalesUnitManager Role = "SALES_UNIT_MANAGER"
	RoleAssistant        Role = "ASSISTANT"
)

// Valid reports whether r is one of the contract's roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdministrator, RoleSalesUnitManager, RoleAssistant:
		return true
	}
	return false
}

// Permission is a right a user holds on one sales unit.
type Permission string

// The contract's permissions. [PermissionDeveloper] lets a user read and
// regenerate the unit's API keys (and order test units for the merchant);
// [PermissionTransactionManagement] makes the unit visible to its holder in
// the Management API and is needed by no other operation here.
const (
	PermissionDeveloper             Permission = "DEVELOPER"
	PermissionTransactionManagement Permission = "TRANSACTION_MANAGEMENT"
)

// Valid reports whether p is one of the contract's permissions.
func (p Permission) Valid() bool {
	return p == PermissionDeveloper || p == PermissionTransactionManagement
}

// Status is where a user stands: invited users ([StatusInvited]) become
// active ([StatusActive]) by logging in to the portal, which happens outside
// the API.
type Status string

// The contract's user statuses.
const (
	StatusInvited Status = "INVITED"
	StatusActive  Status = "ACTIVE"
)

// SalesUnitAccess is a user's set of permissions on one sales unit
// ([Service.Grant]'s answer, and each of [User].SalesUnits).
type SalesUnitAccess struct {
	MSN         string       `json:"msn"`
	Permissions []Permission `json:"permissions"`
	// GrantedAt is when the set last changed; zero when the server did not say.
	GrantedAt time.Time `json:"grantedAt,omitzero"`
}

// Has reports whether the set holds p.
func (a SalesUnitAccess) Has(p Permission) bool {
	for _, q := range a.Permissions {
		if q == p {
			return true
		}
	}
	return false
}

// User is a portal user of a merchant.
type User struct {
	UserID      string            `json:"userId"`
	PhoneNumber string            `json:"phoneNumber"` // E.164, e.g. +4791234567
	Name        string            `json:"name"`
	Email       string            `json:"email,omitempty"`
	Role        Role              `json:"role"`
	Status      Status            `json:"status"`
	SalesUnits  []SalesUnitAccess `json:"salesUnits"`
	CreatedAt   time.Time         `json:"createdAt"`
}

// Access returns the user's access to the unit msn, and whether it has any.
func (u *User) Access(msn string) (SalesUnitAccess, bool) {
	for _, a := range u.SalesUnits {
		if a.MSN == msn {
			return a, true
		}
	}
	return SalesUnitAccess{}, false
}

// Merchant is the merchant a portal user belongs to, as [Service.Me] reports it.
type Merchant struct {
	BusinessIdentifier vipps.BusinessIdentifier `json:"businessIdentifier"`
	Name               string                   `json:"name"`
}

// Me is the portal user that the client's credentials act as ([Service.Me]).
type Me struct {
	UserID      string   `json:"userId"`
	Name        string   `json:"name"`
	PhoneNumber string   `json:"phoneNumber"`
	Role        Role     `json:"role"`
	Merchant    Merchant `json:"merchant"`
}

// InviteRequest describes a person to add as a portal user
// ([Service.Invite]). PhoneNumber (E.164: + and 8-15 digits, such as
// +4791234567), Name (1-100 characters, no leading or trailing space, no
// control character) and Role (a Role* constant) are required; Email is
// optional (at most 254 characters).
type InviteRequest struct {
	PhoneNumber string `json:"phoneNumber"`
	Name        string `json:"name"`
	Email       string `json:"email,omitempty"`
	Role        Role   `json:"role"`
}
