package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vippsportal/sdk/portal/portaltest"
)

func TestPrintSeedRoundTrips(t *testing.T) {
	var out, errs bytes.Buffer
	if rc := run(t.Context(), []string{"-seed", "seed.example.json", "-print-seed"}, &out, &errs); rc != 0 {
		t.Fatalf("rc %d: %s", rc, errs.String())
	}
	seed, err := portaltest.LoadSeed(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("printed seed does not load: %v", err)
	}
	u := seed.Merchants[0].SalesUnits[1]
	if u.Keys == nil || len(u.Keys.SubscriptionKeyPrimary) != 32 || u.Keys.ClientID == "" {
		t.Fatalf("generated keys missing: %+v", u.Keys)
	}
	if got := seed.Merchants[0].SalesUnits[0].Keys.ClientSecret; got != "s3cr3t-example-only" {
		t.Fatalf("given secret not kept: %q", got)
	}
}

func TestDefaultSeedPrinted(t *testing.T) {
	var out, errs bytes.Buffer
	if rc := run(t.Context(), []string{"-print-seed"}, &out, &errs); rc != 0 {
		t.Fatalf("rc %d: %s", rc, errs.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), portaltest.ProductionMSN) {
		t.Fatal("default seed not printed")
	}
}

func TestMalformedSeedNamesPath(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	data := `{"merchants":[{"businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},"name":"A","countryCode":"NO",
	  "salesUnits":[{"msn":"123456","name":"ok"},{"msn":"12","name":"x"}]}]}`
	if err := os.WriteFile(bad, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if rc := run(t.Context(), []string{"-seed", bad}, &out, &errs); rc == 0 {
		t.Fatal("malformed seed accepted")
	}
	if !strings.Contains(errs.String(), "merchants[0].salesUnits[1].msn") {
		t.Fatalf("error does not name the path: %s", errs.String())
	}
}

func TestServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var errs bytes.Buffer
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-provisioning-delay", "30s", "-keys-delay", "10s", "-order-step", "5s"}, pw, &errs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") || strings.HasSuffix(url, ":0") {
		t.Fatalf("first line %q", line)
	}
	go io.Copy(io.Discard, pr)
	resp, err := http.Get(url + "/portal/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d", resp.StatusCode)
	}
	cancel()
	if rc := <-done; rc != 0 {
		t.Fatalf("rc %d", rc)
	}
}

// A seed's name or a request's path cannot break a -print-env comment line
// or drive the terminal: control characters are escaped.
func TestPrintableEscapesControlCharacters(t *testing.T) {
	if got := printable("ACME\nrm -rf /\x1b[2J"); got != `ACME\nrm -rf /\x1b[2J` {
		t.Fatalf("printable = %q", got)
	}
}
