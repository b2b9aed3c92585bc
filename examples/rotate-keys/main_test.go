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

	"github.com/vippsportal/sdk/examples/internal/exampleenv"
	"github.com/vippsportal/sdk/examples/internal/exampletest"
	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

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

// program is run as an exampleenv.Run, with no operator at stdin.
func program(ctx context.Context, args []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
	return run(ctx, args, strings.NewReader(""), stdout, stderr, sim)
}

func TestRunOnTheSimulator(t *testing.T) {
	exampletest.Clear(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "keys.json")
	code, out, stderr := exampletest.Run(t, program, &exampletest.Recorder{}, "-store", path, "-client-secret", "-drain", "0s")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "rotated subscriptionKeySecondary, subscriptionKeyPrimary, clientSecret")
	assert.Equal(t, os.FileMode(0o600), mode(t, path))
	onlyFile(t, dir, "keys.json")

	set, inUse, err := (&fileStore{path: path}).Load()
	require.NoError(t, err)
	assert.Equal(t, "123456", set.MSN)
	assert.Equal(t, keys.SubscriptionKeySecondary, inUse)
	for _, v := range []vipps.Secret{set.ClientSecret, set.SubscriptionKeyPrimary, set.SubscriptionKeySecondary} {
		assert.NotContains(t, out, v.Reveal(), "no key on the screen")
	}

	// A second run starts a new simulator, whose keys are not the ones in the
	// file: the first token request fails, nothing changes, and it exits 1.
	before, _ := os.ReadFile(path)
	code, _, stderr = exampletest.Run(t, program, &exampletest.Recorder{}, "-store", path, "-drain", "0s")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "stopped at token")
	assert.Contains(t, stderr, "401")
	after, _ := os.ReadFile(path)
	assert.Equal(t, before, after)
}

func TestRunRefusesBadFlags(t *testing.T) {
	exampletest.BadFlags(t, program, map[string]string{
		"-subscription-keys=false": "rotate-keys: nothing to rotate",
		"extra":                    `rotate-keys: unexpected argument "extra"`,
		"-drain -1s":               "rotate-keys: -drain must not be negative",
	})
}

// TestHelp: -h and -help print the usage under the program's own name, with
// every flag, and exit 0 without running anything.
func TestHelp(t *testing.T) {
	exampletest.Help(t, program, "rotate-keys", "-store string", "-msn string", "-manual", "-subscription-keys",
		"-client-secret", "-drain duration", "-live")
}

// TestRefusesHalfConfigured: a secret and a base URL without a client id (a
// misspelt variable, say) are refused, naming it, and nothing runs: no
// simulator in their place, and no simulator keys written to the key file
// the integration is to follow.
func TestRefusesHalfConfigured(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	exampletest.Refuses(t, func(ctx context.Context, _ []string, stdout, stderr io.Writer, sim exampleenv.Sim) int {
		return program(ctx, []string{"-store", path}, stdout, stderr, sim)
	}, "rotate-keys", map[string]string{portal.EnvBaseURL: "https://api.vipps.no", portal.EnvClientSecret: "secret-value",
		portal.EnvSubscriptionKey: "sub-key-value"}, "VIPPS_CLIENT_ID not set")
	assert.NoFileExists(t, path)
}

func TestRunLiveKeepsTheFileAnIntegrationFollows(t *testing.T) {
	exampletest.Clear(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	// The in-process integration reads the file with keys.NewFileSource (looking
	// at it every second); the drain leaves it time to switch.
	code, text, stderr := exampletest.Run(t, program, &exampletest.Recorder{}, "-store", path, "-client-secret", "-live", "-drain", "2s")
	require.Equal(t, 0, code, stderr)
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
	exampletest.Clear(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	typed := make(chan string, 10)
	con := &console{typed: typed, typo: true}
	var errOut bytes.Buffer
	code := run(t.Context(), []string{"-store", path, "-manual", "-drain", "0s"}, keyboard(typed), con, &errOut, &exampletest.Recorder{})
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
	assert.ErrorContains(t, err, "portal.vippsmobilepay.com")
}
