package wiring_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/internal/wiring"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type registered struct{ c *core.Client }
type unregistered struct{}

func TestNewBuildsWithTheRegisteredConstructor(t *testing.T) {
	wiring.Register(func(c *core.Client) *registered { return &registered{c: c} })
	cc := &core.Client{}
	got, err := wiring.New[registered](cc)
	require.NoError(t, err)
	assert.Same(t, cc, got.c)

	assert.Panics(t, func() { wiring.Register(func(*core.Client) *registered { return nil }) }, "a second registration is a bug")
}

func TestNewWithoutConstructorIsAnError(t *testing.T) {
	got, err := wiring.New[unregistered](nil)
	assert.Nil(t, got)
	require.ErrorContains(t, err, "no constructor registered for wiring_test.unregistered")
}
