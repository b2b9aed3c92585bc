package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testSet = keys.Set{MSN: "123456", Environment: "production", ClientID: "2f1c6b4e-0000-4000-8000-000000000001",
	ClientSecret: "Sup3r-S3cret", SubscriptionKeyPrimary: "0123456789abcdef0123456789abcdef",
	SubscriptionKeySecondary: "fedcba9876543210fedcba9876543210", UpdatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Mode().Perm()
}

// onlyFile asserts the directory holds just the key file: no temporary left behind.
func onlyFile(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	assert.ElementsMatch(t, names, got)
}

func TestFileStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st := &fileStore{path: filepath.Join(dir, "keys.json")}
	_, _, err := st.Load()
	assert.ErrorIs(t, err, errNoStore)

	require.NoError(t, st.Save(context.Background(), testSet, keys.SubscriptionKeySecondary))
	assert.Equal(t, os.FileMode(0o600), mode(t, st.path))
	onlyFile(t, dir, "keys.json")

	set, inUse, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, testSet, set)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)

	// The file holds the values (that is its purpose), in the contract's field names.
	b, err := os.ReadFile(st.path)
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	assert.Equal(t, "subscriptionKeySecondary", raw["inUse"])
	assert.Equal(t, "Sup3r-S3cret", raw["keys"].(map[string]any)["clientSecret"])
}

// Save replaces the file whole (keys.WriteKeyFile, whose tests show the
// atomic replacement): 0600 even when the old file was not, nothing left beside it.
func TestFileStoreReplacesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"old":true}`), 0o644))

	st := &fileStore{path: path}
	require.NoError(t, st.Save(context.Background(), testSet, keys.SubscriptionKeyPrimary))
	if runtime.GOOS != "windows" {
		assert.Equal(t, os.FileMode(0o600), mode(t, path), "the replaced file is 0600 even though the old one was not")
	}
	onlyFile(t, dir, "keys.json")
	set, _, err := st.Load()
	require.NoError(t, err)
	assert.Equal(t, testSet, set)

	// A directory that does not exist is an error, not a panic.
	bad := &fileStore{path: filepath.Join(dir, "missing", "keys.json")}
	assert.Error(t, bad.Save(context.Background(), testSet, keys.SubscriptionKeyPrimary))
}

func TestFileStoreRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	st := &fileStore{path: path}
	require.NoError(t, os.WriteFile(path, []byte("not json"), 0o600))
	_, _, err := st.Load()
	assert.ErrorContains(t, err, "is not JSON")
	require.NoError(t, os.WriteFile(path, []byte(`{"inUse":"clientSecret","keys":{}}`), 0o600))
	_, _, err = st.Load()
	assert.ErrorContains(t, err, "inUse: must be")
	if runtime.GOOS != "windows" { // where file modes do not say who may read
		require.NoError(t, st.Save(context.Background(), testSet, keys.SubscriptionKeyPrimary))
		require.NoError(t, os.Chmod(path, 0o644))
		_, _, err = st.Load()
		assert.ErrorContains(t, err, "open to its group or others", "a key file others may read is not used")
	}
}

func noVippsEnv(t *testing.T) {
	for _, k := range []string{portal.EnvClientID, portal.EnvMSN} {
		t.Setenv(k, "")
	}
}

func TestRunOnTheSimulator(t *testing.T) {
	noVippsEnv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-store", path, "-client-secret", "-drain", "0s"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	assert.Contains(t, out.String(), "rotated subscriptionKeySecondary, subscriptionKeyPrimary, clientSecret")
	assert.Equal(t, os.FileMode(0o600), mode(t, path))
	onlyFile(t, dir, "keys.json")

	set, inUse, err := (&fileStore{path: path}).Load()
	require.NoError(t, err)
	assert.Equal(t, "123456", set.MSN)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
	for _, v := range []vipps.Secret{set.ClientSecret, set.SubscriptionKeyPrimary, set.SubscriptionKeySecondary} {
		assert.NotContains(t, out.String(), v.Reveal(), "no key on the screen")
	}

	// A second run starts a new simulator, whose keys are not the ones in the
	// file: the first token request fails, nothing changes, and it exits 1.
	before, _ := os.ReadFile(path)
	out.Reset()
	errOut.Reset()
	code = run(context.Background(), []string{"-store", path, "-drain", "0s"}, strings.NewReader(""), &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "stopped at token")
	assert.Contains(t, errOut.String(), "401")
	after, _ := os.ReadFile(path)
	assert.Equal(t, before, after)
}

func TestRunRefusesBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"-subscription-keys=false"}, nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "nothing to rotate")
	assert.Equal(t, 2, run(context.Background(), []string{"extra"}, nil, &out, &errOut))
	errOut.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"-drain", "-1s"}, nil, &out, &errOut))
	assert.Contains(t, errOut.String(), "-drain must not be negative")
}

func TestHelpPrintsUsageAndExitsZero(t *testing.T) {
	for _, h := range []string{"-h", "-help", "--help"} {
		var out, errOut bytes.Buffer
		assert.Equal(t, 0, run(context.Background(), []string{h}, nil, &out, &errOut), h)
		assert.Contains(t, out.String(), "usage: rotate-keys [flags]", "the program's name, not a build path")
		for _, flag := range []string{"-store", "-drain", "-live", "-client-secret", "-manual"} {
			assert.Contains(t, out.String(), flag)
		}
		assert.Empty(t, errOut.String())
	}
}

func TestRunLiveKeepsTheFileAnIntegrationFollows(t *testing.T) {
	noVippsEnv(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	var out, errOut bytes.Buffer
	// The in-process integration reads the file with keys.NewFileSource (looking
	// at it every second); the drain leaves it time to switch.
	code := run(context.Background(), []string{"-store", path, "-client-secret", "-live", "-drain", "2s"}, strings.NewReader(""), &out, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	text := out.String()
	assert.Contains(t, text, "failed=0")
	var calls, failed int
	i := strings.Index(text, "calls=")
	require.GreaterOrEqual(t, i, 0)
	_, err := fmt.Sscanf(text[i:], "calls=%d failed=%d", &calls, &failed)
	require.NoError(t, err)
	assert.Positive(t, calls)
	assert.Zero(t, failed)
	assert.Contains(t, text, "drain subscriptionKeyPrimary (waited 2")
	assert.Contains(t, text, "drain clientSecret (waited 2")

	// The file is the one a keys.FileSource follows: it holds the final set.
	want, inUse, err := (&fileStore{path: path}).Load()
	require.NoError(t, err)
	src, err := keys.NewFileSource(path)
	require.NoError(t, err)
	got, gotInUse := src.Current()
	assert.Equal(t, want, got)
	assert.Equal(t, inUse, gotInUse)
	for _, v := range []vipps.Secret{got.ClientSecret, got.SubscriptionKeyPrimary, got.SubscriptionKeySecondary} {
		assert.NotContains(t, text, v.Reveal(), "no key on the screen")
	}
}

// console plays the operator at a terminal: when the (simulated) portal page
// shows a new value, it types it, the first time with a typo.
type console struct {
	mu      sync.Mutex
	out     bytes.Buffer
	partial string
	shown   []string
	typed   chan string
	typo    bool
}

const pageShows = "the page shows: "

func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out.Write(p)
	c.partial += string(p)
	for {
		i := strings.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		line := c.partial[:i]
		c.partial = c.partial[i+1:]
		if j := strings.Index(line, pageShows); j >= 0 {
			v := line[j+len(pageShows):]
			c.shown = append(c.shown, v)
			if c.typo {
				c.typo = false
				c.typed <- v[:len(v)-1] + "x"
			}
			c.typed <- v
		}
	}
	return len(p), nil
}

// keyboard is stdin fed by the console.
type keyboard chan string

func (k keyboard) Read(p []byte) (int, error) {
	v, ok := <-k
	if !ok {
		return 0, io.EOF
	}
	return copy(p, v+"\n"), nil
}

func TestRunManualOnTheSimulator(t *testing.T) {
	noVippsEnv(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	typed := make(chan string, 10)
	con := &console{typed: typed, typo: true}
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"-store", path, "-manual", "-drain", "0s"}, keyboard(typed), con, &errOut)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", con.out.String(), errOut.String())
	text := con.out.String()
	assert.Contains(t, text, "Press Regenerate next to the secondary subscription key")
	assert.Contains(t, text, "does not work")
	assert.Equal(t, 2, strings.Count(text, "Verified"))

	set, inUse, err := (&fileStore{path: path}).Load()
	require.NoError(t, err)
	require.Len(t, con.shown, 2)
	assert.Equal(t, con.shown[0], set.SubscriptionKeySecondary.Reveal(), "the pasted secondary was stored")
	assert.Equal(t, con.shown[1], set.SubscriptionKeyPrimary.Reveal())
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
}

func TestRescueWritesTheUnsavedSetBesideTheStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	err := rescue(path, testSet, keys.SubscriptionKeySecondary, errors.New("disk full"))
	require.Error(t, err)
	assert.ErrorContains(t, err, "disk full")
	assert.NotContains(t, err.Error(), testSet.ClientSecret.Reveal())
	matches, _ := filepath.Glob(path + ".rescue-*")
	require.Len(t, matches, 1)
	assert.Contains(t, err.Error(), matches[0])
	assert.Equal(t, os.FileMode(0o600), mode(t, matches[0]))
	set, inUse, lerr := (&fileStore{path: matches[0]}).Load()
	require.NoError(t, lerr)
	assert.Equal(t, testSet, set)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)

	// When even that fails, it says where to read the keys.
	err = rescue(filepath.Join(dir, "missing", "keys.json"), testSet, keys.SubscriptionKeyPrimary, errors.New("disk full"))
	assert.ErrorContains(t, err, "portal.vipps.no")
}
