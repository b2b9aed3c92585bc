package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

// adminClient is an SDK client of the simulator's administrator, for a test
// to check what portalctl did.
func adminClient(t *testing.T, s *sim) *portal.Client {
	t.Helper()
	env := s.env("admin")
	c, err := portal.New(portal.WithBaseURL(s.url), portal.WithPortalURL(s.url), portal.WithCredentials(vipps.Credentials{
		ClientID: env[envClientID], ClientSecret: vipps.Secret(env[envClientSecret]), SubscriptionKey: vipps.Secret(env[envSubscriptionKey])}))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// followed reads a key file as the integration does, with keys.NewFileSource.
func followed(t *testing.T, path string) (keys.Set, keys.Name) {
	t.Helper()
	src, err := keys.NewFileSource(path)
	require.NoError(t, err)
	return src.Current()
}

func TestKeysRotateWritesAKeyFileTheSourceFollows(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	c := adminClient(t, s)
	path := filepath.Join(t.TempDir(), "keys.json")
	ok(t, admin, "keys", "get", "123457", "--store", path)
	old, _ := followed(t, path)

	r := ok(t, admin, "keys", "rotate", "123457", "--store", path, "--drain", "0", "--json")
	var rep obj
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, "123457", rep["msn"])
	assert.Equal(t, "production", rep["environment"])
	assert.Equal(t, []any{"subscriptionKeySecondary", "subscriptionKeyPrimary", "clientSecret"}, rep["rotated"], "the key not in use first")
	assert.Equal(t, "subscriptionKeySecondary", rep["inUse"])
	assert.Equal(t, path, rep["keyFile"])
	for _, f := range []string{"updatedAt", "started", "finished"} {
		assert.NotEmpty(t, rep[f], f)
	}
	steps := rep["steps"].([]any)
	require.NotEmpty(t, steps)
	var done []string
	for _, st := range steps {
		st := st.(obj)
		assert.NotEmpty(t, st["at"])
		done = append(done, st["action"].(string)+" "+st["key"].(string))
	}
	assert.Equal(t, []string{"token subscriptionKeyPrimary", "regenerate subscriptionKeySecondary", "verify subscriptionKeySecondary", "store subscriptionKeySecondary",
		"regenerate subscriptionKeyPrimary", "verify subscriptionKeyPrimary", "store subscriptionKeyPrimary",
		"token subscriptionKeySecondary", "regenerate clientSecret", "verify clientSecret", "store clientSecret"}, done)
	assert.Contains(t, r.stderr, "123457: regenerate subscriptionKeySecondary\n", "progress on stderr")
	assert.Contains(t, r.stderr, "123457: store new clientSecret\n")

	// The file is one the integration follows, with keys that work; the old ones get no token.
	set, inUse := followed(t, path)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
	assert.Equal(t, old.ClientID, set.ClientID)
	for _, n := range []keys.Name{keys.ClientSecret, keys.SubscriptionKeyPrimary, keys.SubscriptionKeySecondary} {
		assert.NotEqual(t, value(old, n), value(set, n), "%s was replaced", n)
	}
	assert.Equal(t, rep["updatedAt"], set.UpdatedAt.Format(time.RFC3339Nano))
	v, err := c.Keys.Verify(t.Context(), set)
	require.NoError(t, err)
	assert.True(t, v.OK())
	v, err = c.Keys.Verify(t.Context(), old)
	require.Error(t, err)
	assert.False(t, v.PrimaryOK || v.SecondaryOK, "the old keys get no token: %v", v)

	// Only the subscription keys, with a drain past the source's check interval.
	r = ok(t, admin, "keys", "rotate", "123457", "--store", path, "--subscription-keys", "--drain", "1100ms", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep), r.stdout)
	assert.Equal(t, []any{"subscriptionKeyPrimary", "subscriptionKeySecondary"}, rep["rotated"])
	assert.Equal(t, "subscriptionKeyPrimary", rep["inUse"])
	var drains []obj
	for _, st := range rep["steps"].([]any) {
		if st.(obj)["action"] == "drain" {
			drains = append(drains, st.(obj))
		}
	}
	require.Len(t, drains, 1, "%v", rep["steps"])
	assert.Equal(t, "subscriptionKeySecondary", drains[0]["key"], "the key the file named before")
	assert.GreaterOrEqual(t, drains[0]["tookSeconds"], 1.1)
	assert.Regexp(t, `123457: drain subscriptionKeySecondary \(waited 1\.\d+s\)`, r.stderr)
	rotated, inUse := followed(t, path)
	assert.Equal(t, keys.SubscriptionKeyPrimary, inUse)
	assert.Equal(t, set.ClientSecret, rotated.ClientSecret, "the client secret stays")
	v, err = c.Keys.Verify(t.Context(), rotated)
	require.NoError(t, err)
	assert.True(t, v.OK())

	// Text for people: the report as records.
	r = ok(t, admin, "keys", "rotate", "123457", "--store", path, "--client-secret", "--drain", "0")
	assert.Regexp(t, `(?m)^rotated:\s+clientSecret$`, r.stdout)
	assert.Regexp(t, `(?m)^keyFile:\s+`+regexpQuote(path)+`$`, r.stdout)
}

func value(s keys.Set, n keys.Name) vipps.Secret {
	if n == keys.ClientSecret {
		return s.ClientSecret
	}
	return s.SubscriptionKey(n)
}

func regexpQuote(s string) string {
	return strings.NewReplacer(".", `\.`, "(", `\(`, ")", `\)`).Replace(s)
}

// Without a key file the keys are read from the portal, the primary in use,
// and the file is written; a file of another unit is refused untouched.
func TestKeysRotateWithoutAKeyFileAndWithAnothersFile(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	path := filepath.Join(t.TempDir(), "keys.json")
	rep := okJSON[obj](t, admin, "keys", "rotate", "123456", "--store", path, "--subscription-keys", "--drain", "0")
	assert.Equal(t, []any{"subscriptionKeySecondary", "subscriptionKeyPrimary"}, rep["rotated"], "the primary was in use")
	set, inUse := followed(t, path)
	assert.Equal(t, "123456", set.MSN)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)

	before, err := os.ReadFile(path)
	require.NoError(t, err)
	r := ctl(t, admin, "keys", "rotate", "123457", "--store", path, "--drain", "0")
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "--store "+path+" holds the keys of sales unit 123456, not 123457")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)

	r = ctl(t, admin, "keys", "rotate", "123456", "--store", filepath.Join(t.TempDir(), "none.json"), "--manual")
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "with --manual, it must hold the keys your integration uses now")
}

// operator is a person at portalctl's prompt: it sees stderr and types on stdin.
type operator struct {
	mu    sync.Mutex
	out   bytes.Buffer
	wrote chan struct{} // a signal after each write
}

func (o *operator) Write(p []byte) (int, error) {
	o.mu.Lock()
	o.out.Write(p)
	o.mu.Unlock()
	select {
	case o.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (o *operator) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.out.String()
}

// await returns once stderr shows s (n times in all).
func (o *operator) await(ctx context.Context, t *testing.T, s string, n int) {
	t.Helper()
	for strings.Count(o.String(), s) < n {
		select {
		case <-o.wrote:
		case <-ctx.Done():
			t.Fatalf("portalctl never said %q:\n%s", s, o.String())
		}
	}
}

// --manual: the operator is told which button to press, a value that gets
// no token is refused and asked for again, the one that works is written.
func TestKeysRotateManual(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	c := adminClient(t, s)
	path := filepath.Join(t.TempDir(), "keys.json")
	ok(t, admin, "keys", "get", "123456", "--store", path)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := command(ctx, admin, "keys", "rotate", "123456", "--store", path, "--client-secret", "--manual", "--drain", "0", "--json")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	op := &operator{wrote: make(chan struct{}, 1)}
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, op
	require.NoError(t, cmd.Start())

	op.await(ctx, t, "Paste the new client_secret for sales unit 123456", 1)
	assert.Contains(t, op.String(), "Press Regenerate next to the client_secret")
	_, err = io.WriteString(stdin, "not-the-new-secret\n")
	require.NoError(t, err)
	op.await(ctx, t, "Paste the new client_secret for sales unit 123456", 2)
	assert.Contains(t, op.String(), "That value does not work")
	// The operator presses Regenerate on the portal (the simulator's here) and pastes the value.
	regenerated, err := c.Keys.Regenerate(ctx, "123456", keys.ClientSecret)
	require.NoError(t, err)
	_, err = io.WriteString(stdin, regenerated.ClientSecret.Reveal()+"\n")
	require.NoError(t, err)
	require.NoError(t, stdin.Close())
	err = cmd.Wait()
	var exit *exec.ExitError
	require.False(t, errors.As(err, &exit), "exit %v:\n%s", err, op.String())
	require.NoError(t, err)
	assert.Contains(t, op.String(), "Verified: sales unit 123456 gets an access token with the new client_secret")
	assert.NotContains(t, op.String()+stdout.String(), regenerated.ClientSecret.Reveal(), "the pasted value is not echoed")

	var rep obj
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &rep), stdout.String())
	assert.Equal(t, []any{"clientSecret"}, rep["rotated"])
	set, _ := followed(t, path)
	assert.Equal(t, regenerated.ClientSecret, set.ClientSecret)
}

// A set that could not be stored is written beside the key file, never lost.
func TestRescueKeys(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "keys.json")
	err := rescueKeys(store, keys.SubscriptionKeyPrimary, &keys.StoreError{MSN: "123456", Action: keys.ActionStore, Set: *testSet,
		InUse: keys.SubscriptionKeySecondary, Err: errors.New("disk full")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
	matches, gerr := filepath.Glob(store + ".unsaved-*")
	require.NoError(t, gerr)
	require.Len(t, matches, 1)
	assert.Contains(t, err.Error(), "the new keys, in force at Vipps, are in "+matches[0]+" (mode 0600): move it to "+store)
	f := readKeyFile(t, matches[0])
	assert.Equal(t, keys.SubscriptionKeySecondary, f.InUse)
	assert.Equal(t, testSet.Reveal(), f.Keys)
	assert.NotContains(t, err.Error(), "s3cret")

	other := errors.New("no token")
	assert.Same(t, other, rescueKeys(store, keys.SubscriptionKeyPrimary, other), "nothing unsaved: the error as it is")
}
