package keys_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/vipps"
)

func TestNames(t *testing.T) {
	for _, n := range []keys.Name{keys.ClientID, keys.ClientSecret, keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary} {
		assert.True(t, n.Valid(), n)
	}
	assert.Equal(t, keys.Name("clientId"), keys.ClientID)
	assert.Equal(t, keys.Name("clientSecret"), keys.ClientSecret)
	assert.Equal(t, keys.Name("subscriptionKeyPrimary"), keys.SubscriptionKeyPrimary)
	assert.Equal(t, keys.Name("subscriptionKeySecondary"), keys.SubscriptionKeySecondary)
	assert.False(t, keys.Name("").Valid())
	assert.False(t, keys.Name("ClientSecret").Valid(), "names are case-sensitive, as on the wire")
	assert.Equal(t, keys.SubscriptionKeySecondary, keys.SubscriptionKeyPrimary.Other())
	assert.Equal(t, keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary.Other())
	assert.Empty(t, keys.ClientSecret.Other())
	assert.True(t, keys.SubscriptionKeySecondary.IsSubscriptionKey())
	assert.False(t, keys.ClientID.IsSubscriptionKey())
}

var sampleSet = keys.Set{MSN: "123456", Environment: "production", ClientID: "2f1c6b4e-0000-4000-8000-000000000001",
	ClientSecret: "Sup3r-S3cret-Value", SubscriptionKeyPrimary: "0123456789abcdef0123456789abcdef",
	SubscriptionKeySecondary: "fedcba9876543210fedcba9876543210", UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

func TestSetJSONNeverWritesASecret(t *testing.T) {
	b, err := json.Marshal(sampleSet)
	require.NoError(t, err)
	assert.JSONEq(t, `{"msn":"123456","environment":"production","clientId":"2f1c6b4e-0000-4000-8000-000000000001",
		"clientSecret":"[REDACTED]","subscriptionKeyPrimary":"[REDACTED]","subscriptionKeySecondary":"[REDACTED]",
		"updatedAt":"2026-01-02T03:04:05Z"}`, string(b))

	assert.Equal(t, vipps.Secret("0123456789abcdef0123456789abcdef"), sampleSet.SubscriptionKey(keys.SubscriptionKeyPrimary))
	assert.Equal(t, vipps.Secret("fedcba9876543210fedcba9876543210"), sampleSet.SubscriptionKey(keys.SubscriptionKeySecondary))
	assert.Empty(t, sampleSet.SubscriptionKey(keys.ClientSecret))
}

func TestRevealedSetPersistsAndLoads(t *testing.T) {
	b, err := json.Marshal(sampleSet.Reveal())
	require.NoError(t, err)
	assert.JSONEq(t, `{"msn":"123456","environment":"production","clientId":"2f1c6b4e-0000-4000-8000-000000000001",
		"clientSecret":"Sup3r-S3cret-Value","subscriptionKeyPrimary":"0123456789abcdef0123456789abcdef",
		"subscriptionKeySecondary":"fedcba9876543210fedcba9876543210","updatedAt":"2026-01-02T03:04:05Z"}`, string(b),
		"the explicit, documented way to persist a set writes its values")

	var r keys.RevealedSet
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, sampleSet, r.Set())

	// The same file decodes straight into a Set, and so does the wire's KeySet.
	var s keys.Set
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, sampleSet, s)

	// Printing or logging a RevealedSet still redacts.
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(f, r)
		assert.NotContains(t, out, "Sup3r-S3cret-Value", f)
		assert.Contains(t, out, "123456", f)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("loaded", "keys", r)
	assert.NotContains(t, buf.String(), "Sup3r-S3cret-Value")
	assert.Contains(t, buf.String(), "REDACTED")
}

// secretsOf are every secret of the sets, as text and hex.
func secretsOf(sets ...keys.Set) []string {
	var out []string
	for _, s := range sets {
		for _, v := range []vipps.Secret{s.ClientSecret, s.SubscriptionKeyPrimary, s.SubscriptionKeySecondary} {
			if len(v) > 0 {
				out = append(out, v.Reveal(), hex.EncodeToString([]byte(v.Reveal())))
			}
		}
	}
	return out
}

// renderings formats v every way a program might print or log it.
func renderings(t *testing.T, v any, withJSON bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out[f] = fmt.Sprintf(f, v)
	}
	if withJSON {
		b, err := json.Marshal(v)
		if err == nil {
			out["json"] = string(b)
		} else {
			out["json"] = "error: " + err.Error()
		}
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("event", "value", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("event", "value", v)
	out["slog text"], out["slog json"] = text.String(), js.String()
	if err, ok := v.(error); ok {
		out["Error()"] = err.Error()
		slog.New(slog.NewJSONHandler(&js, nil)).Error("failed", "err", err)
		out["slog json err"] = js.String()
	}
	return out
}

func TestNothingPrintsASecret(t *testing.T) {
	s := newSim(t)
	ctx := context.Background()
	c := s.AdminClient(fastRetry)
	before := simSet(t, s, portaltest.ProductionMSN)

	// A rotation whose second store fails, so that both a report and a
	// StoreError exist with real, live keys in them.
	st := &memStore{failOn: 2}
	rep, storeErr := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{
		Strategy:         noDrain,
		SubscriptionKeys: true, InUse: keys.SubscriptionKeyPrimary, Store: st.store})
	require.Error(t, storeErr)
	var se *keys.StoreError
	require.ErrorAs(t, storeErr, &se)
	rep2, err := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{Strategy: noDrain, ClientSecret: true, Current: &se.Set, Store: st.store})
	require.NoError(t, err)
	after := simSet(t, s, portaltest.ProductionMSN)

	// A verification that fails on both keys, with the live values in the request.
	wrong := after
	wrong.ClientSecret = "Wr0ng-Secret-Not-Live"
	ver, verifyErr := c.Keys.Verify(ctx, wrong)
	require.Error(t, verifyErr)

	// A rotation error carrying an unsaved set.
	_, rotErr := c.Keys.Rotate(ctx, portaltest.ProductionMSN, keys.RotateOptions{Strategy: noDrain, ClientSecret: true, Current: &after, Store: st.store,
		Replacer: keys.ReplacerFunc(func(ctx context.Context, r keys.Replacement) (keys.Set, error) {
			s.InjectFault(portaltest.Fault{Operation: "fetchAuthorizationTokenUsingPost", Status: http.StatusServiceUnavailable, Times: -1})
			next := r.Current
			next.ClientSecret = "Unsaved-New-Secret"
			return next, nil
		})})
	s.ClearFaults()
	var re *keys.RotationError
	require.ErrorAs(t, rotErr, &re)
	require.NotNil(t, re.Unsaved)

	secrets := secretsOf(before, se.Set, after, wrong, *re.Unsaved)
	require.Contains(t, secrets, "Unsaved-New-Secret")

	values := map[string]any{
		"set": after, "*set": &after, "revealed set (non-JSON)": after.Reveal(),
		"report": rep, "report value": *rep, "report 2": rep2,
		"verification": ver, "store error": storeErr, "*StoreError": se,
		"verify error": verifyErr, "rotation error": rotErr, "*RotationError": re,
		"wrapped": fmt.Errorf("rotating: %w", storeErr), "joined": errors.Join(storeErr, rotErr),
	}
	for name, v := range values {
		_, revealed := v.(keys.RevealedSet)
		for how, text := range renderings(t, v, !revealed) {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					t.Errorf("%s printed with %s shows a secret: %s", name, how, text)
				}
			}
		}
	}
	// And they do say something useful.
	assert.Contains(t, fmt.Sprint(rep), "subscriptionKeySecondary")
	assert.Contains(t, storeErr.Error(), "disk full")
	assert.Contains(t, fmt.Sprintf("%+v", after), after.ClientID)
	b, _ := json.Marshal(rep2)
	assert.Contains(t, string(b), `"rotated":["clientSecret"]`)
}
