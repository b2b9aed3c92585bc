package keys_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

// operator plays the person at the keyboard: each time the prompt reads a
// line, it runs the next action (which may press the portal's Regenerate
// button, played by the simulator) and types the line the action returns.
type operator struct {
	mu      sync.Mutex
	actions []func() string
	buf     []byte
}

func (o *operator) Read(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.buf) == 0 {
		if len(o.actions) == 0 {
			return 0, io.EOF
		}
		next := o.actions[0]
		o.actions = o.actions[1:]
		o.buf = []byte(next() + "\n")
	}
	n := copy(p, o.buf)
	o.buf = o.buf[n:]
	return n, nil
}

// portalButton regenerates key n of the unit as a person on portal.vippsmobilepay.com
// would, and returns the new value shown there.
func portalButton(t *testing.T, c *portal.Client, msn string, n keys.Name) string {
	t.Helper()
	set, err := c.Keys.Regenerate(context.Background(), msn, n)
	require.NoError(t, err)
	if n == keys.ClientID {
		return set.ClientID
	}
	if n == keys.ClientSecret {
		return set.ClientSecret.Reveal()
	}
	return set.SubscriptionKey(n).Reveal()
}

// typo changes the last character of v.
func typo(v string) string {
	last := v[len(v)-1]
	if last == '0' {
		return v[:len(v)-1] + "1"
	}
	return v[:len(v)-1] + "0"
}

// vippsClient is a merchant's client as against Vipps today: its own unit's
// keys, a token endpoint and Management API, and no portal URL at all.
func vippsClient(t *testing.T, s *portaltest.Server) *portal.Client {
	t.Helper()
	cr := s.UnitCredentials(portaltest.ProductionMSN)
	c, err := portal.New(
		portal.WithCredentials(vipps.Credentials{ClientID: cr.ClientID, ClientSecret: vipps.Secret(cr.ClientSecret),
			SubscriptionKey: vipps.Secret(cr.SubscriptionKey), MSN: cr.MSN}),
		portal.WithBaseURL(s.URL))
	require.NoError(t, err)
	return c
}

func TestManualRotationOfSubscriptionKeys(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	web := s.AdminClient(fastRetry) // what the person's browser does on the portal
	current := simSet(t, s, portaltest.ProductionMSN)
	in := newIntegration(t, s, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
	st := &memStore{}

	var secondary string
	op := &operator{actions: []func() string{
		func() string { // presses Regenerate for the secondary, pastes it with a typo
			secondary = portalButton(t, web, portaltest.ProductionMSN, keys.SubscriptionKeySecondary)
			return typo(secondary)
		},
		func() string { // pastes again, correctly this time (no second press)
			assert.Zero(t, st.calls, "nothing is stored before a pasted value verifies")
			return "  " + secondary + "\t" // whitespace around a paste is ignored
		},
		func() string {
			return portalButton(t, web, portaltest.ProductionMSN, keys.SubscriptionKeyPrimary)
		},
	}}
	var out bytes.Buffer
	c := vippsClient(t, s)
	rep, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		Strategy:         noDrain,
		SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Current: &current,
		Store: func(ctx context.Context, set keys.Set, inUse keys.Name) error {
			in.call("store")
			require.NoError(t, st.store(ctx, set, inUse))
			in.use(set, inUse)
			return nil
		},
		Replacer: &keys.ManualReplacer{In: op, Out: &out},
		OnStep:   func(step keys.RotationStep) { in.call("after " + string(step.Action)) },
	})
	require.NoError(t, err, out.String())
	in.call("after")
	in.requireAlwaysWorked(8)

	after := simSet(t, s, portaltest.ProductionMSN)
	last, inUse := st.last()
	assert.Equal(t, after.SubscriptionKeyPrimary, last.SubscriptionKeyPrimary)
	assert.Equal(t, after.SubscriptionKeySecondary, last.SubscriptionKeySecondary)
	assert.Equal(t, after.ClientSecret, last.ClientSecret)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
	assert.Len(t, st.sets, 2)
	assert.Equal(t, 2, s.Effects("regenerateKey"), "only the operator's two presses")
	assert.Equal(t, []keys.Name{keys.SubscriptionKeySecondary, keys.SubscriptionKeyPrimary}, rep.Rotated)
	assert.Empty(t, op.actions, "every scripted answer was read")

	text := out.String()
	assert.Contains(t, text, "Sales unit 123456")
	assert.Contains(t, text, "https://portal.vippsmobilepay.com")
	assert.Contains(t, text, "Regenerate next to the secondary subscription key")
	assert.Contains(t, text, "Regenerate next to the primary subscription key")
	assert.Contains(t, text, "does not work")
	assert.Contains(t, text, "try 2 of 3")
	assert.Contains(t, text, "Verified")
	for _, v := range []string{secondary, typo(secondary), after.SubscriptionKeyPrimary.Reveal(), after.ClientSecret.Reveal()} {
		assert.NotContains(t, text, v, "the operator's screen shows no key")
	}
	assert.Len(t, loggedRequests(t, s, "regenerateKey", 2), 2, "the SDK itself made no portal call")
	assert.Empty(t, s.RequestsOf("getKeys"))
}

func TestManualRotationOfClientSecret(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	web := s.AdminClient(fastRetry)
	current := simSet(t, s, portaltest.ProductionMSN)
	st := &memStore{}
	op := &operator{actions: []func() string{
		func() string { return current.ClientSecret.Reveal() }, // pastes the old one by mistake
		func() string {
			assert.Zero(t, st.calls)
			return portalButton(t, web, portaltest.ProductionMSN, keys.ClientSecret)
		},
	}}
	var out bytes.Buffer
	_, err := vippsClient(t, s).Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		Strategy:     noDrain,
		ClientSecret: true, Current: &current, Store: st.store,
		Replacer: &keys.ManualReplacer{In: op, Out: &out, PortalURL: "https://portal.example"}})
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "That is the current value")
	assert.Contains(t, out.String(), "https://portal.example")
	assert.Contains(t, out.String(), "client_secret")
	last, _ := st.last()
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN).ClientSecret, last.ClientSecret)
	require.NoError(t, tokenFor(t, s, credsOf(last, keys.SubscriptionKeyPrimary)))
	assert.NotContains(t, out.String(), last.ClientSecret.Reveal())
}

func TestManualReplacerClientID(t *testing.T) {
	s := newSim(t)
	c := s.AdminClient(fastRetry)
	current := simSet(t, s, portaltest.ProductionMSN)
	op := &operator{actions: []func() string{
		func() string { return portalButton(t, c, portaltest.ProductionMSN, keys.ClientID) },
	}}
	var out bytes.Buffer
	m := &keys.ManualReplacer{In: op, Out: &out}
	set, err := m.Replace(context.Background(), keys.Replacement{Current: current, Name: keys.ClientID,
		Verify: func(ctx context.Context, cand keys.Set) (*keys.Verification, error) { return c.Keys.Verify(ctx, cand) }})
	require.NoError(t, err)
	assert.Equal(t, simSet(t, s, portaltest.ProductionMSN).ClientID, set.ClientID)
	assert.Equal(t, current.ClientSecret, set.ClientSecret)
	assert.Contains(t, out.String(), "client_id")
}

func TestManualReplacerGivesUp(t *testing.T) {
	ctx := context.Background()
	t.Run("no value works", func(t *testing.T) {
		s := newSim(t)
		web := s.AdminClient(fastRetry)
		current := simSet(t, s, portaltest.ProductionMSN)
		var fresh string
		op := &operator{actions: []func() string{
			func() string {
				fresh = portalButton(t, web, portaltest.ProductionMSN, keys.SubscriptionKeySecondary)
				return typo(fresh)
			},
			func() string { return "" },
			func() string { return "still-wrong" },
			func() string { t.Error("a fourth value was asked for"); return fresh },
		}}
		st := &memStore{}
		var out bytes.Buffer
		_, err := vippsClient(t, s).Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Current: &current, Store: st.store,
			Replacer: &keys.ManualReplacer{In: op, Out: &out}})
		require.Error(t, err)
		assert.Zero(t, st.calls, "nothing was stored")
		var re *keys.RotationError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, keys.ActionRegenerate, re.Action)
		assert.ErrorIs(t, err, vipps.ErrUnauthorized, "the last refusal is kept")
		assert.Contains(t, err.Error(), "after 3 tries")
		assert.Contains(t, out.String(), "Nothing was pasted")
		assert.NotContains(t, err.Error(), "still-wrong")
		assert.NotContains(t, out.String(), "still-wrong")
	})
	t.Run("operator leaves", func(t *testing.T) {
		s := newSim(t)
		current := simSet(t, s, portaltest.ProductionMSN)
		st := &memStore{}
		_, err := vippsClient(t, s).Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:     noDrain,
			ClientSecret: true, Current: &current, Store: st.store,
			Replacer: &keys.ManualReplacer{In: strings.NewReader(""), Out: io.Discard}})
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Zero(t, st.calls)
	})
	t.Run("token endpoint down: stop, do not blame the operator", func(t *testing.T) {
		s := newSim(t)
		web := s.AdminClient(fastRetry)
		current := simSet(t, s, portaltest.ProductionMSN)
		op := &operator{actions: []func() string{
			func() string {
				v := portalButton(t, web, portaltest.ProductionMSN, keys.SubscriptionKeySecondary)
				s.InjectFault(portaltest.Fault{Operation: "fetchAuthorizationTokenUsingPost", Status: http.StatusBadGateway, Times: -1})
				return v
			},
		}}
		st := &memStore{}
		var out bytes.Buffer
		c := simClient(t, s, s.UnitCredentials(portaltest.ProductionMSN))
		_, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
			Strategy:         noDrain,
			SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Current: &current, Store: st.store,
			Replacer: &keys.ManualReplacer{In: op, Out: &out}})
		s.ClearFaults()
		assert.ErrorIs(t, err, vipps.ErrServer)
		assert.NotContains(t, out.String(), "try 2 of")
		assert.Zero(t, st.calls)
	})
	t.Run("a line from a bufio-less reader at EOF without newline is used", func(t *testing.T) {
		s := newSim(t)
		web := s.AdminClient(fastRetry)
		current := simSet(t, s, portaltest.ProductionMSN)
		v := portalButton(t, web, portaltest.ProductionMSN, keys.SubscriptionKeySecondary)
		m := &keys.ManualReplacer{In: strings.NewReader(v), Out: io.Discard}
		c := s.AdminClient(fastRetry)
		set, err := m.Replace(ctx, keys.Replacement{Current: current, Name: keys.SubscriptionKeySecondary,
			Verify: func(ctx context.Context, cand keys.Set) (*keys.Verification, error) { return c.Keys.Verify(ctx, cand) }})
		require.NoError(t, err)
		assert.Equal(t, vipps.Secret(v), set.SubscriptionKeySecondary)
	})
}

func TestManualReplacerValidation(t *testing.T) {
	ctx := context.Background()
	verify := func(context.Context, keys.Set) (*keys.Verification, error) { return nil, nil }
	_, err := (&keys.ManualReplacer{Out: io.Discard}).Replace(ctx, keys.Replacement{Name: keys.ClientSecret, Verify: verify})
	requireInvalid(t, err, "ManualReplacer.In")
	_, err = (&keys.ManualReplacer{In: strings.NewReader("x\n")}).Replace(ctx, keys.Replacement{Name: keys.ClientSecret, Verify: verify})
	requireInvalid(t, err, "ManualReplacer.Out")
	_, err = (&keys.ManualReplacer{In: strings.NewReader("x\n"), Out: io.Discard}).Replace(ctx, keys.Replacement{Name: "pin", Verify: verify})
	requireInvalid(t, err, "Replacement.Name")
	_, err = (&keys.ManualReplacer{In: strings.NewReader("x\n"), Out: io.Discard}).Replace(ctx, keys.Replacement{Name: keys.ClientSecret})
	requireInvalid(t, err, "Replacement.Verify")
}
