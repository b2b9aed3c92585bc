package main

// The end-to-end harness: TestMain builds portalctl and the standalone
// simulator (examples/simulator) once; each test starts its own simulator
// on 127.0.0.1:0 and runs the portalctl binary against it with the VIPPS_*
// lines the simulator prints (-print-env), nothing else in its environment.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var (
	portalctlBin, simulatorBin string
	// principals are the VIPPS_* blocks of -print-env, by -principal; the
	// URLs are replaced with each test's simulator's.
	principals = map[string]map[string]string{}
	seed       seedFile
	// secrets are every secret of the seed: no output may show one unless
	// the command line says --reveal.
	secrets []string
)

// simFlags start every simulator: units and keys ready at once.
var simFlags = []string{"-addr", "127.0.0.1:0", "-provisioning-delay", "0", "-keys-delay", "0"}

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "portalctl tests:", err)
		code = 1
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "portalctl-e2e-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	portalctlBin, simulatorBin = filepath.Join(dir, "portalctl"), filepath.Join(dir, "simulator")
	race := []string{}
	if raceBuild {
		race = []string{"-race"}
	}
	if err := goBuild(ctx, ".", portalctlBin, ".", race...); err != nil {
		return 1, err
	}
	if err := goBuild(ctx, "../..", simulatorBin, "./examples/simulator"); err != nil {
		return 1, err
	}
	if err := readSeed(ctx); err != nil {
		return 1, err
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			return 1, err
		}
	}
	return code, nil
}

func goBuild(ctx context.Context, dir, out, pkg string, flags ...string) error {
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"build", "-o", out}, flags...), pkg)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

// seedFile is the part of the simulator's resolved seed (-print-seed) the
// tests read: every key set.
type seedFile struct {
	Merchants []struct {
		SalesUnits []struct {
			MSN  string `json:"msn"`
			Keys struct {
				ClientID                 string `json:"clientId"`
				ClientSecret             string `json:"clientSecret"`
				SubscriptionKeyPrimary   string `json:"subscriptionKeyPrimary"`
				SubscriptionKeySecondary string `json:"subscriptionKeySecondary"`
			} `json:"keys"`
		} `json:"salesUnits"`
		Users []struct {
			UserID    string    `json:"userId"`
			APIClient apiClient `json:"apiClient"`
		} `json:"users"`
	} `json:"merchants"`
	Partners []struct {
		APIClient      apiClient `json:"apiClient"`
		ManagementKeys apiClient `json:"managementKeys"`
	} `json:"partners"`
}

type apiClient struct {
	ClientID        string `json:"clientId"`
	ClientSecret    string `json:"clientSecret"`
	SubscriptionKey string `json:"subscriptionKey"`
}

// readSeed reads the simulator's seed and its VIPPS_* blocks, which are the
// same for every simulator started with the same flags (-rand-seed 1).
func readSeed(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, simulatorBin, "-print-seed").Output()
	if err != nil {
		return fmt.Errorf("simulator -print-seed: %w", err)
	}
	if err := json.Unmarshal(out, &seed); err != nil {
		return err
	}
	add := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	for _, m := range seed.Merchants {
		for _, u := range m.SalesUnits {
			add(u.Keys.ClientSecret, u.Keys.SubscriptionKeyPrimary, u.Keys.SubscriptionKeySecondary)
		}
		for _, u := range m.Users {
			add(u.APIClient.ClientSecret, u.APIClient.SubscriptionKey)
		}
	}
	for _, p := range seed.Partners {
		add(p.APIClient.ClientSecret, p.APIClient.SubscriptionKey, p.ManagementKeys.ClientSecret)
	}
	if len(secrets) < 10 {
		return fmt.Errorf("the seed has %d secrets; expected every key set's", len(secrets))
	}
	for _, p := range []string{"unit", "admin", "partner", "management"} {
		// -print-env needs a fixed port: the URLs are replaced per test.
		out, err := exec.CommandContext(ctx, simulatorBin, "-print-env", "-principal", p, "-addr", "127.0.0.1:1").Output()
		if err != nil {
			return fmt.Errorf("simulator -print-env -principal %s: %w", p, err)
		}
		principals[p] = parseExports(string(out))
		if principals[p][envClientSecret] == "" {
			return fmt.Errorf("simulator -print-env -principal %s: no %s in\n%s", p, envClientSecret, out)
		}
	}
	return nil
}

// parseExports reads `export NAME='value'` lines (single-quoted for a POSIX shell).
func parseExports(out string) map[string]string {
	env := map[string]string{}
	for line := range strings.Lines(out) {
		name, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "export "), "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		value = strings.TrimSuffix(strings.TrimPrefix(value, "'"), "'")
		env[name] = strings.ReplaceAll(value, `'\''`, "'")
	}
	return env
}

const (
	envClientID        = "VIPPS_CLIENT_ID"
	envClientSecret    = "VIPPS_CLIENT_SECRET"
	envSubscriptionKey = "VIPPS_SUBSCRIPTION_KEY"
	envMSN             = "VIPPS_MSN"
	envBaseURL         = "VIPPS_BASE_URL"
	envPortalURL       = "VIPPS_PORTAL_URL"
)

// sim is one running standalone simulator.
type sim struct{ url string }

// startSim starts a simulator with simFlags and extra, stopped (SIGTERM)
// when the test ends.
func startSim(t *testing.T, extra ...string) *sim {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, simulatorBin, append(slices.Clone(simFlags), extra...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second // then killed
	out := &firstLine{ready: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stop()
		_ = cmd.Wait()
	})
	wait, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	select {
	case <-out.ready:
	case <-wait.Done():
		t.Fatalf("the simulator did not start: %q", out.String())
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(out.line), "listening on ")
	require.True(t, ok, "first line %q", out.line)
	return &sim{url: url}
}

// firstLine collects a process's output and signals its first line.
type firstLine struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	line  string
	ready chan struct{}
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf.Write(p)
	if f.line == "" {
		if line, _, ok := strings.Cut(f.buf.String(), "\n"); ok {
			f.line = line
			close(f.ready)
		}
	}
	return len(p), nil
}

func (f *firstLine) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buf.String()
}

// env is principal's VIPPS_* block aimed at this simulator, with changes
// applied ("" unsets a variable).
func (s *sim) env(principal string, changes ...string) map[string]string {
	env := map[string]string{}
	for k, v := range principals[principal] {
		env[k] = v
	}
	env[envBaseURL], env[envPortalURL] = s.url, s.url
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i+1] == "" {
			delete(env, changes[i])
			continue
		}
		env[changes[i]] = changes[i+1]
	}
	return env
}

// unitEnv is the VIPPS_* block of the seed's unit msn, its own keys.
func (s *sim) unitEnv(t *testing.T, msn string) map[string]string {
	t.Helper()
	id, secret, primary, _ := unitKeys(t, msn)
	return map[string]string{envBaseURL: s.url, envPortalURL: s.url, envClientID: id,
		envClientSecret: secret, envSubscriptionKey: primary, envMSN: msn}
}

// unitKeys is the seed's key set of unit msn.
func unitKeys(t *testing.T, msn string) (clientID, secret, primary, secondary string) {
	t.Helper()
	for _, m := range seed.Merchants {
		for _, u := range m.SalesUnits {
			if u.MSN == msn {
				k := u.Keys
				return k.ClientID, k.ClientSecret, k.SubscriptionKeyPrimary, k.SubscriptionKeySecondary
			}
		}
	}
	t.Fatalf("no unit %s in the seed", msn)
	return
}

// userEnv is the VIPPS_* block of the seed's portal user userID, its API client.
func (s *sim) userEnv(t *testing.T, userID string) map[string]string {
	t.Helper()
	for _, m := range seed.Merchants {
		for _, u := range m.Users {
			if u.UserID == userID {
				return map[string]string{envBaseURL: s.url, envPortalURL: s.url, envClientID: u.APIClient.ClientID,
					envClientSecret: u.APIClient.ClientSecret, envSubscriptionKey: u.APIClient.SubscriptionKey}
			}
		}
	}
	t.Fatalf("no user %s in the seed", userID)
	return nil
}

// result is one run of portalctl.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// ctl runs portalctl with args and exactly env as its environment (PATH
// aside). Every run is checked: no data race in the binary, and no secret of
// the seed in its output unless args ask for --reveal.
func ctl(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := command(ctx, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("portalctl %s: %v", strings.Join(args, " "), err)
	}
	assert.NotContains(t, r.stderr, "DATA RACE", "portalctl %s", strings.Join(args, " "))
	if !slices.Contains(args, "--reveal") {
		assertNoSecret(t, r, args)
	}
	return r
}

// command is portalctl with args and exactly env as its environment (PATH aside).
func command(ctx context.Context, env map[string]string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, portalctlBin, args...)
	// A -race binary sleeps a second at exit by default, for goroutines
	// still running to show their races; portalctl leaves none running.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "GORACE=atexit_sleep_ms=0"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func assertNoSecret(t *testing.T, r result, args []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("portalctl %s shows a secret of the seed:\n%s", strings.Join(args, " "), r)
		}
	}
}

// ok runs portalctl and requires exit code 0.
func ok(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	r := ctl(t, env, args...)
	require.Equal(t, 0, r.code, "portalctl %s\n%s", strings.Join(args, " "), r)
	return r
}

// okJSON runs portalctl with --json and decodes its one JSON document.
func okJSON[T any](t *testing.T, env map[string]string, args ...string) T {
	t.Helper()
	r := ok(t, env, append(args, "--json")...)
	var v T
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	require.NoError(t, dec.Decode(&v), "portalctl %s --json: %s", strings.Join(args, " "), r.stdout)
	var extra json.RawMessage
	require.Error(t, dec.Decode(&extra), "one JSON document, nothing after it: %s", r.stdout)
	return v
}

// obj is a decoded JSON object.
type obj = map[string]any

// at reads a nested field of a decoded JSON object: at(t, v, "a", "b").
func at(t *testing.T, v obj, path ...string) any {
	t.Helper()
	var cur any = v
	for _, p := range path {
		m, isObj := cur.(obj)
		require.True(t, isObj, "%v is not an object at %q", cur, p)
		cur, isObj = m[p]
		require.True(t, isObj, "no field %q in %v", p, m)
	}
	return cur
}

// lines splits output into lines, for "one line per ..." checks.
func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
