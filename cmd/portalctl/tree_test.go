package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commandPaths walks the command tree portalctl builds: every command's
// words after "portalctl" (the root's are empty), groups and verbs alike.
// Tests walk the tree, so a command added later is covered at once.
func commandPaths(t *testing.T) (all, verbs [][]string) {
	t.Helper()
	root := (&app{stdout: io.Discard, stderr: io.Discard}).root()
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		all = append(all, path)
		if !c.HasSubCommands() && c.Name() != "help" {
			verbs = append(verbs, path)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(root, nil)
	require.GreaterOrEqual(t, len(verbs), 35, "the whole tree was walked")
	return all, verbs
}

func TestEveryCommandHasHelpWithAnExample(t *testing.T) {
	t.Parallel()
	all, _ := commandPaths(t)
	for _, path := range all {
		t.Run(strings.Join(append([]string{"portalctl"}, path...), " "), func(t *testing.T) {
			t.Parallel()
			r := ok(t, nil, append(path, "--help")...)
			assert.Contains(t, r.stdout, "Usage:")
			assert.Contains(t, r.stdout, "Examples:\n  portalctl ", "an example of use")
			assert.Empty(t, r.stderr)
		})
	}
	// A group without its verb shows its help too.
	r := ok(t, nil, "keys")
	assert.Contains(t, r.stdout, "Available Commands:")
}

func TestUsageErrorsExit2AndSayWhatToFix(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin := s.env("admin")
	unit := s.unitEnv(t, "123456")
	delete(unit, envMSN)
	remote := s.unitEnv(t, "123456")
	remote[envBaseURL] = "https://api.vipps.example"
	for _, tc := range []struct {
		env  map[string]string
		args []string
		says string
	}{
		{nil, []string{"bogus"}, `unknown command "bogus" for "portalctl"`},
		{nil, []string{"salesunits", "bogus"}, `unknown command "bogus" for "portalctl salesunits"`},
		{nil, []string{"salesunits", "lst"}, "Did you mean this?\n\tlist"},
		{nil, []string{"salesunits", "list", "--bogus"}, "unknown flag: --bogus"},
		{nil, []string{"salesunits", "get"}, "accepts 1 arg(s), received 0"},
		{nil, []string{"merchants", "get", "business:NO:ORG"}, "accepts 2 arg(s), received 1"},
		{nil, []string{"users", "grant", "dev", "123456"}, "requires at least 3 arg(s), only received 2"},
		{nil, []string{"version", "extra"}, `unknown command "extra" for "portalctl version"`},
		{nil, []string{"--timeout", "soon", "salesunits", "list"}, `invalid argument "soon" for "--timeout"`},
		{nil, []string{"--timeout", "-1s", "salesunits", "list"}, "--timeout must not be negative"},
		{nil, []string{"--json=maybe", "version"}, `invalid argument "maybe" for "--json"`},
		{nil, []string{"completion", "tcsh"}, `invalid argument "tcsh" for "portalctl completion"`},
		{nil, []string{"orders", "prefill", "--scheme", "business:NO:ORG"}, `required flag(s) "id", "product-type" not set`},
		{nil, []string{"orders", "prefill", "--scheme", "a", "--id", "1", "--product-type", "LOGIN", "--website-url", "https://a.example"},
			"if any flags in the group [website-url terms-url] are set they must all be set"},
		{nil, []string{"testunits", "create"}, `required flag(s) "name" not set`},
		{nil, []string{"salesunits", "list"}, "VIPPS_CLIENT_ID is not set"},
		{s.env("admin", envClientSecret, ""), []string{"salesunits", "list"}, "VIPPS_CLIENT_SECRET is not set"},
		{s.env("admin", envSubscriptionKey, ""), []string{"doctor"}, "VIPPS_SUBSCRIPTION_KEY is not set (a partner's management keys have none: set VIPPS_TOKEN_FLOW=specialized)"},
		{s.env("admin", "VIPPS_ENVIRONMENT", "staging"), []string{"doctor"}, "VIPPS_ENVIRONMENT must be production or test"},
		{s.env("admin", envBaseURL, "ftp://example.com"), []string{"doctor"}, "VIPPS_BASE_URL must be an absolute http(s) URL"},
		{s.env("admin", envMSN, "12"), []string{"doctor"}, "VIPPS_MSN must be 4-10 digits"},
		{admin, []string{"--msn", "12", "salesunits", "list"}, "--msn must be 4-10 digits"},
		{admin, []string{"salesunits", "get", "12"}, "invalid msn: must be 4-10 digits"},
		{admin, []string{"testunits", "creations", "--status", "DONE"}, `must be PENDING, COMPLETED, FAILED or empty (all), got "DONE"`},
		{admin, []string{"users", "invite", "--name", "X", "--phone", "+4791234560", "--role", "BOSS"}, "must be ADMINISTRATOR, SALES_UNIT_MANAGER or ASSISTANT"},
		{admin, []string{"users", "grant", "dev", "123456", "OWNER"}, `unknown permission "OWNER"`},
		{nil, []string{"keys", "rotate", "123456"}, `required flag(s) "store" not set`},
		{admin, []string{"keys", "rotate", "123456", "--store", "k.json", "--drain", "500ms"}, "--drain must be longer than 1s, the key file's check interval"},
		{admin, []string{"keys", "rotate", "12", "--store", "/nonexistent/k.json", "--drain", "0"}, "must be 4-10 digits"},
		{nil, []string{"webhooks", "register", "--event", "epayments.payment.captured.v1"}, `required flag(s) "url" not set`},
		{unit, []string{"webhooks", "register", "--url", "https://hooks.example.com/x", "--event", "epayments.payment.captured.v1"},
			"give --store FILE (or --reveal): Vipps shows the registration's secret only this once"},
		{unit, []string{"webhooks", "register", "--url", "ftp://hooks.example.com/x", "--event", "epayments.payment.captured.v1", "--reveal"},
			`--url must use https, got "ftp"`},
		{unit, []string{"webhooks", "register", "--url", "https://hooks.example.com/x", "--event", "Captured", "--reveal"}, "--event "},
		{remote, []string{"webhooks", "register", "--url", "http://127.0.0.1:9/x", "--event", "epayments.payment.captured.v1", "--reveal"},
			"--url http://127.0.0.1:9/x uses http: Vipps accepts only https. A loopback http URL is allowed only with the simulator on this machine (VIPPS_BASE_URL on a loopback host)"},
		{unit, []string{"webhooks", "delete", "not-an-id"}, "ID must be a UUID such as"},
		{nil, []string{"webhooks", "ensure", "--dry-run"}, `required flag(s) "file", "secrets" not set`},
		{unit, []string{"webhooks", "ensure", "--file", "/nonexistent/spec.json", "--secrets", "s.json"}, "--file /nonexistent/spec.json: no such file or directory"},
		{nil, []string{"webhooks", "rotate-secret", "0b52e5bd-be1e-42a1-acf2-e331f52c68ac"}, `required flag(s) "store" not set`},
		{unit, []string{"--timeout", "1s", "webhooks", "rotate-secret", "0b52e5bd-be1e-42a1-acf2-e331f52c68ac", "--store", "s.json", "--overlap", "2s"},
			"--overlap 2s must be shorter than --timeout 1s"},
		{nil, []string{"webhooks", "trigger", "--msn", "123456", "--event", "epayments.payment.captured.v1"},
			"VIPPS_BASE_URL is not set: webhooks trigger sends through the standalone simulator"},
		{unit, []string{"webhooks", "trigger", "--event", "epayments.payment.captured.v1"}, "--msn is required"},
		{unit, []string{"webhooks", "trigger", "--msn", "123456", "--event", "captured"}, `--event "captured" is not an event name such as epayments.payment.captured.v1`},
		{unit, []string{"webhooks", "trigger", "--msn", "123456", "--event", "epayments.payment.captured.v1", "--payload", "/nonexistent.json"},
			"--payload /nonexistent.json: no such file or directory"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel() // a usage error changes nothing
			r := ctl(t, tc.env, tc.args...)
			assert.Equal(t, exitUsage, r.code, "%s", r)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tc.says)
			assert.Equal(t, 1, strings.Count(r.stderr, "portalctl: "), "the error is printed once:\n%s", r.stderr)
			assert.Contains(t, r.stderr, "--help' for usage.")
		})
	}
}

// TestNoOutputShowsASecret runs every verb of the tree against the
// simulator, plainly, with --json and with -v (the SDK's log), and ctl
// checks each output for every secret of the seed. A verb missing from
// runs fails the test: a new command must say how it is run here.
func TestNoOutputShowsASecret(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	admin, partner := s.env("admin"), s.env("partner")
	orderID := prefill(t, partner, "Secret test")
	deleted := prefill(t, partner, "Deleted")
	creation := okJSON[obj](t, admin, "testunits", "create", "--name", "Secret test")["creationId"].(string)
	invited := okJSON[obj](t, admin, "users", "invite", "--name", "Secret Test", "--phone", "+4790000001", "--role", "ASSISTANT")["userId"].(string)
	unit := s.unitEnv(t, "123456")
	dir := t.TempDir()
	hooks, ensured, spec := filepath.Join(dir, "secrets.json"), filepath.Join(dir, "ensured.json"), filepath.Join(dir, "spec.json")
	hookID := okJSON[obj](t, unit, "webhooks", "register", "--url", "https://hooks.example.com/secret/1", "--event", captured, "--store", hooks)["id"].(string)
	rotateID := okJSON[obj](t, unit, "webhooks", "register", "--url", "https://hooks.example.com/secret/2", "--event", captured, "--store", hooks)["id"].(string)
	require.NoError(t, os.WriteFile(spec, []byte(`{"webhooks": [{"url": "https://hooks.example.com/secret/all", "events": ["user.checked-in.v1"]}],
		"ownedPrefixes": ["https://hooks.example.com/secret/"]}`), 0o600))

	runs := map[string]struct {
		env  map[string]string
		args []string
	}{
		"doctor":                {admin, nil},
		"salesunits list":       {admin, nil},
		"salesunits get":        {admin, []string{"123456"}},
		"merchants get":         {admin, []string{"business:NO:ORG", "987654325"}},
		"merchants salesunits":  {partner, []string{"business:NO:ORG", "987654325"}},
		"orders price-packages": {partner, nil},
		"orders prefill": {partner, []string{"--scheme", "business:NO:ORG", "--id", "987654325", "--product-type", "LOGIN",
			"--website-url", "https://acme.example", "--terms-url", "https://acme.example/terms"}},
		"orders list":            {partner, nil},
		"orders get":             {partner, []string{orderID}},
		"orders wait":            {partner, []string{orderID, "--timeout", "1s"}}, // stays RECEIVED: a timeout, exit 1
		"orders delete":          {partner, []string{deleted}},
		"testunits create":       {admin, []string{"--name", "Secret shop", "--recurring", "--wait"}},
		"testunits list":         {admin, nil},
		"testunits get":          {admin, []string{"223344"}},
		"testunits creations":    {admin, nil},
		"testunits wait":         {admin, []string{creation}},
		"keys get":               {admin, []string{"123456"}},
		"keys verify":            {admin, []string{"123456"}},
		"keys regenerate":        {admin, []string{"123457", "clientSecret"}},
		"keys rotate":            {admin, []string{"123457", "--store", filepath.Join(dir, "keys.json"), "--drain", "0"}}, // after regenerate: tree order
		"users me":               {admin, nil},
		"users list":             {admin, nil},
		"users get":              {admin, []string{"dev"}},
		"users invite":           {admin, []string{"--name", "Secret Two", "--phone", "+4790000002", "--role", "ASSISTANT"}},
		"users grant":            {admin, []string{"dev", "123457", "DEVELOPER"}},
		"users revoke":           {admin, []string{"dev", "123457"}},
		"users remove":           {admin, []string{invited}},
		"webhooks list":          {unit, nil},
		"webhooks register":      {unit, []string{"--url", "https://hooks.example.com/secret/3", "--event", captured, "--store", hooks}},
		"webhooks delete":        {unit, []string{hookID}},
		"webhooks ensure":        {partner, []string{"--file", spec, "--secrets", ensured}},
		"webhooks rotate-secret": {unit, []string{rotateID, "--store", hooks, "--overlap", "0"}},
		"webhooks trigger":       {unit, []string{"--msn", "123456", "--event", authorized}}, // nobody holds it: exit 1
		"version":                {nil, nil},
		"completion":             {nil, []string{"bash"}},
	}
	_, verbs := commandPaths(t)
	var mu sync.Mutex
	ran := map[string]bool{}
	var outputs []string
	for _, path := range verbs {
		name := strings.Join(path, " ")
		run, known := runs[name]
		if !assert.True(t, known, "TestNoOutputShowsASecret does not run %q: add it to runs", name) {
			continue
		}
		for _, variant := range [][]string{nil, {"--json"}, {"-v"}} {
			args := append(append(slices.Clone(path), run.args...), variant...)
			r := ctl(t, run.env, args...) // checks the output for secrets
			assert.NotEqual(t, exitUsage, r.code, "runs[%q] is a usable command line: %s", name, r)
			if slices.Contains(variant, "-v") && run.env != nil {
				assert.Contains(t, r.stderr, "level=DEBUG", "-v logs the SDK's requests: %s", name)
			}
			mu.Lock()
			ran[name] = true
			outputs = append(outputs, r.stdout+r.stderr)
			mu.Unlock()
		}
	}
	assert.Len(t, ran, len(runs), "every entry of runs is a command of the tree")

	// Nor a secret the runs made: webhook secrets, rotated keys.
	var made []string
	for _, f := range []string{hooks, ensured} {
		for _, e := range readSecrets(t, f).Webhooks {
			made = append(made, e.Secret)
		}
	}
	rotated := readKeyFile(t, filepath.Join(dir, "keys.json"))
	made = append(made, rotated.Keys.ClientSecret, rotated.Keys.SubscriptionKeyPrimary, rotated.Keys.SubscriptionKeySecondary)
	require.GreaterOrEqual(t, len(made), 8, "the runs made secrets")
	for _, out := range outputs {
		for _, secret := range made {
			require.NotEmpty(t, secret)
			assert.NotContains(t, out, secret)
		}
	}
}

// Every verb of the tree is in docs/portalctl.md's table of commands.
func TestEveryCommandIsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "portalctl.md"))
	require.NoError(t, err)
	_, verbs := commandPaths(t)
	for _, path := range verbs {
		name := strings.Join(path, " ")
		assert.True(t, strings.Contains(string(doc), "`"+name+" ") || strings.Contains(string(doc), "`"+name+"`"),
			"docs/portalctl.md does not document %q", name)
	}
}
