// Command simulator runs the SDK's simulator of the whole portal contract as a
// standalone server:
//
//	go run ./examples/simulator -addr 127.0.0.1:8080 -seed FILE \
//	    -provisioning-delay 30s -keys-delay 10s -order-step 5s
//
// It prints "listening on http://ADDR" once ready, then a block of VIPPS_*
// lines for each kind of principal in its seed (a sales unit's own keys, a
// partner's API client, the partner's management keys, an administrator's API
// client: the last block printed is the one a pasted whole output leaves set),
// and serves until SIGINT or SIGTERM, starting from the seed each time.
// -principal unit|partner|management|admin prints only that block.
//
// Generated keys depend only on the seed and -rand-seed (default 1), so a
// server started twice with the same flags has the same keys: -print-seed
// shows them, and -print-env prints the VIPPS_* lines for a server started with
// the same flags and exits, so another shell can
//
//	eval "$(go run ./examples/simulator -print-env -principal partner)"
//
// -v logs each request to stderr: method, path, operation id and status, never
// a query string or a header value.
//
// Webhooks: the simulator serves the Webhooks API and delivers signed
// notifications to the registered URLs, with Vipps' retries, order per
// reference and removal of failing registrations. To send one, POST to the
// simulator's own address (not part of the contract):
//
//	curl -X POST http://127.0.0.1:8080/_simulator/notifications -d '{"msn": "123456",
//	    "event": "epayments.payment.captured.v1", "payload": {"msn": "123456", "reference": "order-1"}}'
//
// It answers 202 with the number of registrations the notification goes to
// (404 when none holds the event). Registered URLs must be https on the
// default port, 443 or 8080, as at Vipps; -local-webhooks also accepts http
// and https on a loopback host (127.0.0.1, ::1, localhost) on any port, for a
// receiver on this machine (go run ./examples/webhooks -trigger, with the
// unit's VIPPS_* lines, is one).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// principals are the -principal values, in the order the blocks are printed.
var principals = []string{"unit", "partner", "management", "admin"}

// run is the whole command; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	seedFile := fs.String("seed", "", "seed file (JSON); default: the built-in seed")
	provisioning := fs.Duration("provisioning-delay", 0, "time from ordering a test sales unit to COMPLETED")
	keysDelay := fs.Duration("keys-delay", 0, "time from a unit's completion to its keys being ready")
	orderStep := fs.Duration("order-step", 0, "move each prefilled product order one status every D (0: never)")
	printSeed := fs.Bool("print-seed", false, "print the resolved seed (generated keys included) and exit")
	printEnv := fs.Bool("print-env", false, "print the VIPPS_* lines of a server started with these flags and exit")
	randSeed := fs.Int64("rand-seed", 1, "seed of generated keys and ids: the same flags give the same keys")
	principal := fs.String("principal", "all", "VIPPS_* block to print: all, "+strings.Join(principals, ", "))
	verbose := fs.Bool("v", false, "log each request to stderr (method, path, operation, status; no secret)")
	logLimit := fs.Int("request-log-limit", portaltest.DefaultRequestLogLimit, "requests (and webhook deliveries) the in-memory logs keep")
	localWebhooks := fs.Bool("local-webhooks", false, "also accept webhook URLs on a loopback host (127.0.0.1, ::1, localhost), http or https, on any port")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: simulator [flags]\n\nRuns the SDK's simulator of the Vipps portal contract and prints VIPPS_* lines to connect to it.\n\n"+
			"Webhook notifications: POST %s on the simulator's address with\n"+
			"  {\"msn\": \"123456\", \"event\": \"epayments.payment.captured.v1\", \"payload\": {...}}\n"+
			"sends a signed notification to every registration holding the event (202 with their number,\n"+
			"404 when none does), retried as Vipps does.\n\nFlags:\n", portaltest.NotifyPath)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "simulator: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *principal != "all" && !contains(principals, *principal) {
		fmt.Fprintf(stderr, "simulator: -principal must be all, %s; got %q\n", strings.Join(principals, ", "), *principal)
		return 2
	}
	if *logLimit < 1 {
		fmt.Fprintf(stderr, "simulator: -request-log-limit must be at least 1, got %d\n", *logLimit)
		return 2
	}
	seed := portaltest.DefaultSeed()
	if *seedFile != "" {
		f, err := os.Open(*seedFile)
		if err != nil {
			fmt.Fprintf(stderr, "simulator: %v\n", err)
			return 1
		}
		seed, err = portaltest.LoadSeed(f)
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "simulator: %s: %v\n", *seedFile, err)
			return 1
		}
	}
	opts := []portaltest.Option{portaltest.WithSeed(seed), portaltest.WithProvisioningDelay(*provisioning),
		portaltest.WithKeysDelay(*keysDelay), portaltest.WithOrderStep(*orderStep),
		portaltest.WithRandSeed(*randSeed), portaltest.WithRequestLogLimit(*logLimit), portaltest.WithNotifyEndpoint()}
	if *localWebhooks {
		opts = append(opts, portaltest.WithLocalWebhooks())
	}
	if *verbose {
		opts = append(opts, portaltest.WithRequestHook(requestLogger(stderr)))
	}
	listen := *addr
	if *printSeed || *printEnv {
		listen = "127.0.0.1:0"
	}
	s, err := portaltest.Start(listen, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "simulator: %v\n", err)
		return 1
	}
	switch {
	case *printSeed:
		defer s.Close()
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(s.ResolvedSeed()); err != nil {
			fmt.Fprintf(stderr, "simulator: %v\n", err)
			return 1
		}
		return 0
	case *printEnv:
		defer s.Close()
		url, err := connectURL(*addr)
		if err != nil {
			fmt.Fprintf(stderr, "simulator: -print-env: %v\n", err)
			return 2
		}
		printBlocks(stdout, url, s.ResolvedSeed(), *principal)
		return 0
	}
	fmt.Fprintf(stdout, "listening on %s\n", s.URL)
	url, err := connectURL(strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		url = s.URL
	}
	printBlocks(stdout, url, s.ResolvedSeed(), *principal)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(shutdown); err != nil {
		s.Close()
	}
	return 0
}

// connectURL is the URL a client on this machine uses for a listen address:
// an unspecified host (":8080", "0.0.0.0:8080", "[::]:8080") is 127.0.0.1.
func connectURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if port == "" || port == "0" {
		return "", fmt.Errorf("address %q has no fixed port", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// requestLogger writes one line per request: what was asked and how it was
// answered. The entry's query string and headers are never printed: they may
// carry secrets.
func requestLogger(w io.Writer) func(portaltest.LoggedRequest) {
	var mu sync.Mutex
	return func(e portaltest.LoggedRequest) {
		op, status := e.Operation, fmt.Sprint(e.Status)
		if op == "" {
			op = "-"
		}
		if e.Status == 0 {
			status = "dropped"
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s %s %s %s\n", e.Method, printable(e.Path), op, status)
	}
}

// block is one principal's VIPPS_* lines.
type block struct {
	kind, title string
	vars        [][2]string // name, value; an empty value is unset
}

// printBlocks prints the blocks of the chosen principal ("all": every one
// the seed has) in a form a POSIX shell can eval. Each block sets or unsets
// every variable the SDK reads, so pasting one after another leaves no
// stale value behind (a subscription key with management keys is an error).
func printBlocks(w io.Writer, url string, seed portaltest.Seed, which string) {
	for _, b := range blocks(url, seed) {
		if which != "all" && b.kind != which {
			continue
		}
		fmt.Fprintf(w, "# %s:\n", printable(b.title))
		var unset []string
		for _, v := range b.vars {
			if v[1] == "" {
				unset = append(unset, v[0])
				continue
			}
			fmt.Fprintf(w, "export %s=%s\n", v[0], shellQuote(v[1]))
		}
		if len(unset) > 0 {
			fmt.Fprintf(w, "unset %s\n", strings.Join(unset, " "))
		}
		fmt.Fprintln(w)
	}
}

// blocks picks one principal of each kind from the resolved seed: the first
// production unit, the first partner (its API client and its management
// keys) and the first ADMINISTRATOR, in that order.
func blocks(url string, seed portaltest.Seed) []block {
	common := func(id, secret, subKey, msn, flow string) [][2]string {
		return [][2]string{{"VIPPS_BASE_URL", url}, {"VIPPS_PORTAL_URL", url}, {"VIPPS_CLIENT_ID", id},
			{"VIPPS_CLIENT_SECRET", secret}, {"VIPPS_SUBSCRIPTION_KEY", subKey}, {"VIPPS_MSN", msn},
			{"VIPPS_TOKEN_FLOW", flow}, {"VIPPS_TOKEN_SCOPE", ""}, {"VIPPS_ENVIRONMENT", ""}}
	}
	var out []block
	var unit, admin *block
	for _, m := range seed.Merchants {
		for _, u := range m.SalesUnits {
			if unit == nil && u.Environment == "production" && u.Keys != nil {
				unit = &block{kind: "unit", title: fmt.Sprintf("sales unit %s (%s), its own keys: Management API, its merchant's units", u.MSN, u.Name),
					vars: common(u.Keys.ClientID, u.Keys.ClientSecret, u.Keys.SubscriptionKeyPrimary, u.MSN, "standard")}
			}
		}
		for _, u := range m.Users {
			if admin == nil && u.Role == "ADMINISTRATOR" && u.APIClient != nil {
				admin = &block{kind: "admin", title: fmt.Sprintf("administrator (user %s, %s) of merchant %s, its API client: portal operations and the Management API", u.UserID, u.Name, m.BusinessIdentifier.ID),
					vars: common(u.APIClient.ClientID, u.APIClient.ClientSecret, u.APIClient.SubscriptionKey, "", "standard")}
			}
		}
	}
	if unit != nil {
		out = append(out, *unit)
	}
	if len(seed.Partners) > 0 {
		p := seed.Partners[0]
		if p.APIClient != nil {
			out = append(out, block{kind: "partner", title: fmt.Sprintf("partner %s (%s), its API client: Management API, connected units, price packages, product orders", p.PartnerID, p.Name),
				vars: common(p.APIClient.ClientID, p.APIClient.ClientSecret, p.APIClient.SubscriptionKey, "", "standard")})
		}
		if k := p.ManagementKeys; k != nil {
			out = append(out, block{kind: "management", title: fmt.Sprintf("partner %s (%s), its management keys (specialized flow, no subscription key): Management API only", p.PartnerID, p.Name),
				vars: common(k.ClientID, k.ClientSecret, "", "", "specialized")})
		}
	}
	if admin != nil {
		out = append(out, *admin)
	}
	return out
}

// shellQuote quotes v for a POSIX shell: single quotes, each ' written '\”.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// printable escapes control characters as Go does in a quoted string (a
// newline in a seed's name would end a comment line and run the rest as a
// command).
func printable(s string) string {
	q := strconv.QuoteToGraphic(s)
	return q[1 : len(q)-1]
}
