package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsersMeListGet(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")

	me := okJSON[obj](t, admin, "users", "me")
	assert.Equal(t, "admin", me["userId"])
	assert.Equal(t, "Ada Admin", me["name"])
	assert.Equal(t, "+4791234567", me["phoneNumber"])
	assert.Equal(t, "ADMINISTRATOR", me["role"])
	assert.Equal(t, "ACME Fantastic Fitness", at(t, me, "merchant", "name"))
	assert.Equal(t, obj{"scheme": "business:NO:ORG", "id": "987654325"}, at(t, me, "merchant", "businessIdentifier"))

	all := okJSON[[]obj](t, admin, "users", "list")
	var ids []string
	for _, u := range all {
		ids = append(ids, u["userId"].(string))
	}
	assert.ElementsMatch(t, []string{"admin", "dev", "assistant"}, ids)
	assert.Regexp(t, `(?m)^dev\s+Dev Eloper\s+\+4792345678\s+SALES_UNIT_MANAGER\s+ACTIVE\s+123456:DEVELOPER 223344:DEVELOPER$`,
		ok(t, admin, "users", "list").stdout)

	dev := okJSON[obj](t, admin, "users", "get", "dev")
	assert.Equal(t, "dev", dev["userId"])
	assert.Equal(t, "SALES_UNIT_MANAGER", dev["role"])
	assert.Equal(t, "ACTIVE", dev["status"])
	access := dev["salesUnits"].([]any)
	require.Len(t, access, 2)
	assert.Equal(t, "123456", at(t, access[0].(obj), "msn"))
	assert.Equal(t, []any{"DEVELOPER"}, at(t, access[0].(obj), "permissions"))

	// Only an administrator manages users.
	r := ctl(t, s.userEnv(t, "dev"), "users", "list")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "403 administrator-required")
}

func TestUsersInviteGrantRevokeRemove(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")

	u := okJSON[obj](t, admin, "users", "invite", "--name", "Ola Nordmann", "--phone", "+4799999999", "--role", "ASSISTANT")
	id, isString := u["userId"].(string)
	require.True(t, isString)
	assert.Regexp(t, uuidPattern, id)
	assert.Equal(t, "Ola Nordmann", u["name"])
	assert.Equal(t, "+4799999999", u["phoneNumber"])
	assert.Equal(t, "ASSISTANT", u["role"])
	assert.Equal(t, "INVITED", u["status"])
	assert.Empty(t, u["salesUnits"])

	a := okJSON[obj](t, admin, "users", "grant", id, "123456", "DEVELOPER", "TRANSACTION_MANAGEMENT")
	assert.Equal(t, "123456", a["msn"])
	assert.ElementsMatch(t, []any{"DEVELOPER", "TRANSACTION_MANAGEMENT"}, a["permissions"])
	assert.NotEmpty(t, a["grantedAt"])

	// The simulator holds the grant: read back.
	got := okJSON[obj](t, admin, "users", "get", id)
	access := got["salesUnits"].([]any)
	require.Len(t, access, 1)
	assert.Equal(t, "123456", at(t, access[0].(obj), "msn"))
	assert.ElementsMatch(t, []any{"DEVELOPER", "TRANSACTION_MANAGEMENT"}, at(t, access[0].(obj), "permissions"))

	assert.Equal(t, obj{"userId": id, "msn": "123456", "revoked": true}, okJSON[obj](t, admin, "users", "revoke", id, "123456"))
	assert.Empty(t, okJSON[obj](t, admin, "users", "get", id)["salesUnits"], "the revoke is seen")

	assert.Equal(t, obj{"userId": id, "removed": true}, okJSON[obj](t, admin, "users", "remove", id))
	r := ctl(t, admin, "users", "get", id)
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "404")

	// People read a confirmation; a phone number already in use is a conflict.
	assert.Equal(t, "Revoked the access of dev to 123457.\n", ok(t, admin, "users", "revoke", "dev", "123457").stdout)
	r = ctl(t, admin, "users", "invite", "--name", "Ada Again", "--phone", "+4791234567", "--role", "ASSISTANT")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "409 user-exists")
	r = ctl(t, admin, "users", "invite", "--name", "Bad Phone", "--phone", "91234567", "--role", "ASSISTANT")
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "InviteRequest.PhoneNumber")
}
