package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

const webhooksScopeHelp = "Each command acts in the scope of the keys: the sales unit of --msn (or VIPPS_MSN);\n" +
	"a partner's keys without an MSN act partner-wide (every sales unit connected to the partner).\n" +
	"A sales unit's own keys and a partner's API client reach the Webhooks API; portal users'\n" +
	"and management keys do not."

func (a *app) webhooksCmd() *cobra.Command {
	g := group("webhooks", "Webhook registrations and test notifications (Webhooks API)",
		"  portalctl webhooks register --url https://example.com/vipps --event epayments.payment.captured.v1 --store secrets.json\n"+
			"  portalctl webhooks list --msn 123456\n"+
			"  portalctl webhooks ensure --file webhooks.json --secrets secrets.json --dry-run",
		a.verb("list", "List the registrations of the scope (never their secrets)",
			"  portalctl webhooks list\n  portalctl webhooks list --msn 123456 --json",
			cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
				hooks, err := c.Webhooks.List(ctx)
				if err != nil {
					return err
				}
				return list(a, hooks, []string{"ID", "URL", "EVENTS"}, func(w webhooks.Webhook) []string {
					return []string{w.ID, w.URL, eventsText(w.Events)}
				})
			}),
		a.registerWebhookCmd(),
		a.verb("delete ID", "Delete a registration of the scope",
			"  portalctl webhooks delete 0b52e5bd-be1e-42a1-acf2-e331f52c68ac",
			cobra.ExactArgs(1), false, func(ctx context.Context, c *portal.Client, args []string) error {
				if err := c.Webhooks.Delete(ctx, args[0]); err != nil {
					return flagError(err, map[string]string{"id": "ID"})
				}
				return a.done(map[string]any{"id": args[0], "deleted": true}, "Deleted webhook "+args[0]+".")
			}),
		a.ensureWebhooksCmd(),
		a.rotateSecretCmd(),
		a.triggerCmd(),
	)
	g.Long = "webhooks registers URLs for Vipps' notifications, lists and deletes them, reconciles them\n" +
		"with a spec file, replaces their signing secrets, and has the simulator send test notifications.\n\n" +
		webhooksScopeHelp + "\n\n" + secretsFileHelp
	return g
}

const secretsFileHelp = `Vipps shows a registration's signing secret once, when it is registered: --store (register,
rotate-secret) and --secrets (ensure) keep it in a secrets file (mode 0600, replaced atomically),
which portalctl only adds to. Your receiver verifies with the secrets of its URL:

  {"webhooks": [{"id": "...", "msn": "123456", "url": "https://...", "events": ["..."],
    "secret": "...", "registeredAt": "...", "replaces": "...", "deletedAt": "..."}]}

Loopback http URLs (http://127.0.0.1:PORT/...) are allowed only when VIPPS_BASE_URL is on a
loopback host too: the simulator (started with -local-webhooks) delivering to this machine.`

func (a *app) registerWebhookCmd() *cobra.Command {
	var (
		u, store string
		events   []string
		reveal   bool
	)
	cmd := a.verb("register", "Register a URL for events; Vipps shows its signing secret only this once",
		"  portalctl webhooks register --url https://example.com/vipps --event epayments.payment.captured.v1 --store secrets.json\n"+
			"  portalctl webhooks register --msn 123456 --url https://example.com/vipps \\\n"+
			"      --event epayments.payment.authorized.v1 --event epayments.payment.captured.v1 --reveal --json",
		cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
			if !reveal && store == "" {
				return usage("give --store FILE (or --reveal): Vipps shows the registration's secret only this once, and a receiver cannot verify notifications without it")
			}
			local := localHTTPAllowed(c)
			if err := checkLocalHTTP("--url", u, local); err != nil {
				return err
			}
			var file *secretsFile
			if store != "" {
				f, err := loadSecrets("--store", store)
				if err != nil {
					return err
				}
				file = f
			}
			r, err := c.Webhooks.Register(ctx, webhooks.Registration{URL: u, Events: eventNames(events), AllowLocalHTTP: local})
			if err != nil {
				return flagError(err, map[string]string{"Registration.URL": "--url", "Registration.Events": "--event"})
			}
			e := entryOf(r, time.Now())
			if file != nil {
				if err := file.add(e); err != nil {
					return undoRegister(ctx, c, r, fmt.Errorf("--store %s: %w", store, err))
				}
				fmt.Fprintf(a.stderr, "Registered %s; its secret is in %s (mode 0600): Vipps shows it only this once.\n", r.ID, store)
			} else {
				fmt.Fprintf(a.stderr, "Registered %s. Its secret is shown below only this once: keep it now.\n", r.ID)
			}
			if !reveal {
				e = e.redacted()
			}
			return a.record(e)
		})
	f := cmd.Flags()
	f.StringVar(&u, "url", "", "the `URL` that receives the notifications: https, on the default port, 443 or 8080 (required)")
	f.StringArrayVar(&events, "event", nil, "an `EVENT` to receive, such as epayments.payment.captured.v1; repeat for more (required)")
	f.BoolVar(&reveal, "reveal", false, "show the secret on stdout")
	f.StringVar(&store, "store", "", "add the registration and its secret to the secrets `FILE` (mode 0600)")
	_ = cmd.MarkFlagRequired("url")
	_ = cmd.MarkFlagRequired("event")
	_ = cmd.MarkFlagFilename("store", "json")
	_ = cmd.RegisterFlagCompletionFunc("event", completeWith(catalog()...))
	return cmd
}

// undoRegister deletes a registration whose secret could not be kept: nobody
// could verify its notifications.
func undoRegister(ctx context.Context, c *portal.Client, r *webhooks.Registered, cause error) error {
	if err := c.Webhooks.Delete(ctx, r.ID); err != nil {
		return fmt.Errorf("%w; the registration %s, whose secret is lost, could not be deleted either (%v): delete it with 'portalctl webhooks delete %s'", cause, r.ID, err, r.ID)
	}
	return fmt.Errorf("%w; the registration %s was deleted again", cause, r.ID)
}

func (a *app) ensureWebhooksCmd() *cobra.Command {
	var (
		file, secrets string
		dryRun        bool
	)
	cmd := a.verb("ensure", "Make the registrations of a spec file exist; delete stale ones under its URLs",
		"  portalctl webhooks ensure --file webhooks.json --secrets secrets.json --dry-run\n"+
			"  portalctl webhooks ensure --file webhooks.json --secrets secrets.json --json",
		cobra.NoArgs, false, func(ctx context.Context, c *portal.Client, _ []string) error {
			spec, err := readSpec(file)
			if err != nil {
				return err
			}
			spec.AllowLocalHTTP = localHTTPAllowed(c)
			for i, d := range spec.Webhooks {
				if err := checkLocalHTTP(fmt.Sprintf("--file %s: webhooks[%d].url", file, i), d.URL, spec.AllowLocalHTTP); err != nil {
					return err
				}
			}
			held, err := loadSecrets("--secrets", secrets)
			if err != nil {
				return err
			}
			spec.SecretsHeld, spec.DryRun = held.ids(), dryRun
			if !dryRun {
				spec.Store = func(_ context.Context, r *webhooks.Registered) error { return held.add(entryOf(r, time.Now())) }
			}
			plan, err := c.Webhooks.Ensure(ctx, spec)
			if err != nil {
				err = flagError(err, map[string]string{"Spec": "--file " + file + ":"})
			}
			if plan == nil {
				return err
			}
			var deleted []string
			for _, act := range plan.Actions {
				if act.Op == webhooks.OpDelete && act.Done {
					deleted = append(deleted, act.ID)
				}
			}
			if merr := held.markDeleted(time.Now(), deleted...); merr != nil {
				err = errors.Join(err, fmt.Errorf("--secrets %s: marking the deleted registrations: %w", secrets, merr))
			}
			if perr := a.plan(plan); perr != nil {
				return perr
			}
			if dryRun && plan.Changes() > 0 {
				fmt.Fprintln(a.stderr, "Dry run: nothing was changed. Run it without --dry-run to apply the plan.")
			}
			return err
		})
	cmd.Long = "ensure runs webhooks.Service.Ensure with the spec of --file: it lists each scope the spec\n" +
		"names, registers what is missing (its secret added to --secrets at once), and only then deletes\n" +
		"what is stale: registrations of a declared URL with other events or a secret nobody holds, and\n" +
		"registrations under the spec's ownedPrefixes that it does not declare. Nothing else is touched.\n" +
		"The secrets file's ids are the secrets held; --dry-run prints the plan and changes nothing.\n\n" +
		"The spec file (JSON):\n\n" +
		"  {\"webhooks\": [{\"msn\": \"123456\", \"url\": \"https://example.com/vipps\", \"events\": [\"epayments.payment.captured.v1\"]},\n" +
		"                {\"url\": \"https://example.com/vipps/all\", \"events\": [\"epayments.payment.authorized.v1\"]}],\n" +
		"   \"ownedPrefixes\": [\"https://example.com/vipps\"],\n" +
		"   \"scopes\": [\"654321\"]}\n\n" +
		"A declaration without msn is in the keys' own scope (--msn, VIPPS_MSN, else partner-wide);\n" +
		"scopes are further MSNs to clean up under ownedPrefixes.\n\n" + webhooksScopeHelp
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "the spec `FILE` (JSON, see above) (required)")
	f.StringVar(&secrets, "secrets", "", "the secrets `FILE`: its ids are the secrets held; new secrets are added to it (mode 0600) (required)")
	f.BoolVar(&dryRun, "dry-run", false, "print the plan and change nothing")
	_ = cmd.MarkFlagRequired("file")
	_ = cmd.MarkFlagRequired("secrets")
	_ = cmd.MarkFlagFilename("file", "json")
	_ = cmd.MarkFlagFilename("secrets", "json")
	return cmd
}

// plan prints an Ensure plan: its JSON with --json, else its text.
func (a *app) plan(p *webhooks.Plan) error {
	if a.json {
		return writeJSON(a.stdout, p)
	}
	var b strings.Builder
	for line := range strings.Lines(p.String()) {
		b.WriteString(printable(strings.TrimSuffix(line, "\n")) + "\n")
	}
	_, err := fmt.Fprint(a.stdout, b.String())
	return err
}

func (a *app) rotateSecretCmd() *cobra.Command {
	var (
		store   string
		overlap time.Duration
		reveal  bool
	)
	cmd := a.verb("rotate-secret ID", "Replace a registration's secret without refusing a notification",
		"  portalctl webhooks rotate-secret 0b52e5bd-be1e-42a1-acf2-e331f52c68ac --store secrets.json\n"+
			"  portalctl webhooks rotate-secret 0b52e5bd-be1e-42a1-acf2-e331f52c68ac --store secrets.json --overlap 2m",
		cobra.ExactArgs(1), true, func(ctx context.Context, c *portal.Client, args []string) error {
			old := args[0]
			if overlap < 0 {
				return usage("--overlap must not be negative, got %s", overlap)
			}
			if a.timeout > 0 && overlap >= a.timeout {
				return usage("--overlap %s must be shorter than --timeout %s: the old registration is deleted after it", overlap, a.timeout)
			}
			file, err := loadSecrets("--store", store)
			if err != nil {
				return err
			}
			var twin secretEntry
			opts := webhooks.RotateOptions{Overlap: overlap, Store: func(_ context.Context, r *webhooks.Registered) error {
				twin = entryOf(r, time.Now())
				twin.Replaces = old
				if err := file.add(twin); err != nil {
					return fmt.Errorf("--store %s: %w", store, err)
				}
				fmt.Fprintf(a.stderr, "Registered %s, a twin of %s with a new secret, stored in %s.\n", r.ID, old, store)
				if overlap > 0 {
					fmt.Fprintf(a.stderr, "Both are live for %s (--overlap), then %s is deleted.\n", overlap, old)
				}
				return nil
			}}
			if overlap == 0 {
				opts.Overlap = -1 // the SDK's "no overlap"; its 0 is the default
			}
			r, err := c.Webhooks.RotateSecret(ctx, old, opts)
			if err != nil && r == nil {
				return flagError(err, map[string]string{"id": "ID"})
			}
			if err != nil {
				// The twin is live and stored; the old registration is too.
				err = fmt.Errorf("%w; both registrations are live: delete the old one later with 'portalctl webhooks delete %s'", err, old)
			} else if merr := file.markDeleted(time.Now(), old); merr != nil {
				err = fmt.Errorf("--store %s: marking %s deleted: %w", store, old, merr)
			}
			out := twin
			if !reveal {
				out = out.redacted()
			}
			if perr := a.record(out); perr != nil {
				return perr
			}
			return err
		})
	cmd.Long = "rotate-secret runs webhooks.Service.RotateSecret: it registers a twin of registration ID\n" +
		"(the same URL and events), adds the twin's secret to the --store file, keeps both registrations\n" +
		"live for --overlap (notifications Vipps queued for the old one alone are delivered meanwhile),\n" +
		"then deletes the old one and marks it deleted in the file. Your receiver must verify with the\n" +
		"secrets of both (every secret of its URL in the file) from the moment the twin is stored.\n\n" +
		webhooksScopeHelp
	f := cmd.Flags()
	f.StringVar(&store, "store", "", "the secrets `FILE` the new secret is added to (mode 0600) (required)")
	f.DurationVar(&overlap, "overlap", webhooks.DefaultOverlap, "how long both registrations stay live before the old one is deleted (0: delete at once)")
	f.BoolVar(&reveal, "reveal", false, "show the new secret on stdout")
	_ = cmd.MarkFlagRequired("store")
	_ = cmd.MarkFlagFilename("store", "json")
	return cmd
}

// eventsText is a list of events in one cell.
func eventsText(events []webhooks.EventName) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	return orDash(strings.Join(names, ","))
}

func eventNames(values []string) []webhooks.EventName {
	names := make([]webhooks.EventName, len(values))
	for i, v := range values {
		names[i] = webhooks.EventName(v)
	}
	return names
}

func catalog() []string {
	var names []string
	for _, e := range webhooks.Catalog() {
		names = append(names, string(e))
	}
	return names
}

// localHTTPAllowed: loopback http URLs are for the simulator delivering to
// this machine, so they are allowed when the client talks to a loopback
// host. Vipps is never there.
func localHTTPAllowed(c *portal.Client) bool {
	u, err := url.Parse(c.BaseURL())
	return err == nil && isLoopback(u.Hostname())
}

// checkLocalHTTP refuses a loopback http URL where it is not allowed, naming
// the rule, before the SDK refuses it naming its option.
func checkLocalHTTP(field, raw string, allowed bool) error {
	u, err := url.Parse(raw)
	if err != nil || allowed || u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return nil // the SDK judges the rest
	}
	return usage("%s %s uses http: Vipps accepts only https. A loopback http URL is allowed only with the simulator on this machine (%s on a loopback host)",
		field, raw, portal.EnvBaseURL)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// flagError says a flag where the SDK names the field the flag filled: a
// field of fields (or one of its elements or subfields) becomes its flag.
func flagError(err error, fields map[string]string) error {
	var ve *vipps.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	for field, flag := range fields {
		rest, ok := strings.CutPrefix(ve.Field, field)
		if !ok || (rest != "" && rest[0] != '[' && rest[0] != '.') {
			continue
		}
		if strings.HasSuffix(flag, ":") { // a file: name the field inside it
			reason := specField(strings.ReplaceAll(ve.Reason, field+".", ""))
			return usage("%s %s %s", flag, specField(strings.TrimPrefix(rest, ".")), reason)
		}
		reason := ve.Reason
		if strings.Contains(field, ".") { // a qualified name the reason may repeat
			reason = strings.ReplaceAll(reason, field, flag)
		}
		return usage("%s %s", flag, reason)
	}
	return err
}

// specField spells a Spec field as the spec file does: Webhooks[1].URL is webhooks[1].url.
func specField(f string) string {
	return strings.NewReplacer("Webhooks", "webhooks", "URL", "url", "Events", "events", "MSN", "msn",
		"OwnedPrefixes", "ownedPrefixes", "Scopes", "scopes").Replace(f)
}

// maxSpecFile bounds the spec file of ensure.
const maxSpecFile = 1 << 20

// specFile is the spec file of ensure: webhooks.Spec's declarations.
type specFile struct {
	Webhooks []struct {
		MSN    string               `json:"msn"`
		URL    string               `json:"url"`
		Events []webhooks.EventName `json:"events"`
	} `json:"webhooks"`
	OwnedPrefixes []string `json:"ownedPrefixes"`
	Scopes        []string `json:"scopes"`
}

// readSpec reads the spec file at path as a webhooks.Spec.
func readSpec(path string) (webhooks.Spec, error) {
	b, err := readBounded(path, maxSpecFile)
	if err != nil {
		return webhooks.Spec{}, usage("--file %s: %v", path, err)
	}
	var f specFile
	if err := decodeStrict(b, &f); err != nil {
		return webhooks.Spec{}, usage("--file %s: not a webhooks spec ({\"webhooks\": [...], \"ownedPrefixes\": [...]}): %v", path, err)
	}
	spec := webhooks.Spec{OwnedPrefixes: f.OwnedPrefixes, Scopes: f.Scopes}
	for _, d := range f.Webhooks {
		spec.Webhooks = append(spec.Webhooks, webhooks.Desired{MSN: d.MSN, URL: d.URL, Events: d.Events})
	}
	return spec, nil
}
