package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

const (
	captured   = string(webhooks.EPaymentCaptured)
	authorized = string(webhooks.EPaymentAuthorized)
	uuidLike   = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
)

// readSecrets reads a webhook secrets file, which must be 0600.
func readSecrets(t *testing.T, path string) secretsFile {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f secretsFile
	require.NoError(t, json.Unmarshal(b, &f))
	return f
}

// ids are the ids of a --json list of registrations.
func ids(list []obj) []string {
	var out []string
	for _, w := range list {
		out = append(out, w["id"].(string))
	}
	return out
}

func TestWebhooksRegisterListDelete(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	unit := s.unitEnv(t, "123456")
	store := filepath.Join(t.TempDir(), "secrets.json")

	r := ok(t, unit, "webhooks", "register", "--url", "https://hooks.example.com/vipps", "--event", captured, "--event", authorized, "--store", store, "--json")
	var reg obj
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &reg))
	id, _ := reg["id"].(string)
	assert.Regexp(t, uuidLike, id)
	assert.Equal(t, "123456", reg["msn"])
	assert.Equal(t, "https://hooks.example.com/vipps", reg["url"])
	assert.Equal(t, []any{captured, authorized}, reg["events"])
	assert.Equal(t, vipps.Redacted, reg["secret"], "no secret without --reveal")
	assert.NotEmpty(t, reg["registeredAt"])
	assert.Len(t, reg, 6, "id, msn, url, events, secret, registeredAt: %v", reg)
	assert.Contains(t, r.stderr, "Registered "+id+"; its secret is in "+store+" (mode 0600): Vipps shows it only this once.")

	file := readSecrets(t, store)
	require.Len(t, file.Webhooks, 1)
	stored := file.Webhooks[0]
	assert.Equal(t, id, stored.ID)
	assert.Equal(t, "123456", stored.MSN)
	assert.Equal(t, []webhooks.EventName{webhooks.EPaymentCaptured, webhooks.EPaymentAuthorized}, stored.Events)
	assert.NotEmpty(t, stored.Secret)
	assert.NotEqual(t, vipps.Redacted, stored.Secret)
	assert.True(t, stored.DeletedAt.IsZero())

	// --reveal shows it, once; the second registration is added to the file.
	revealed := okJSON[obj](t, unit, "webhooks", "register", "--url", "https://hooks.example.com/other", "--event", captured, "--reveal", "--store", store)
	assert.NotEqual(t, vipps.Redacted, revealed["secret"])
	assert.NotEmpty(t, revealed["secret"])
	file = readSecrets(t, store)
	require.Len(t, file.Webhooks, 2)
	assert.Equal(t, revealed["secret"], file.Webhooks[1].Secret)
	other := revealed["id"].(string)

	list := okJSON[[]obj](t, unit, "webhooks", "list")
	assert.ElementsMatch(t, []string{id, other}, ids(list))
	assert.Contains(t, list, obj{"id": id, "url": "https://hooks.example.com/vipps", "events": []any{captured, authorized}},
		"id, url, events; never a secret")
	assert.Contains(t, list, obj{"id": other, "url": "https://hooks.example.com/other", "events": []any{captured}})
	assert.Regexp(t, `(?m)^ID\s+URL\s+EVENTS$`, ok(t, unit, "webhooks", "list").stdout)
	assert.Regexp(t, `(?m)^`+id+`\s+https://hooks.example.com/vipps\s+`+captured+","+authorized+`$`, ok(t, unit, "webhooks", "list").stdout)

	assert.Equal(t, obj{"id": id, "deleted": true}, okJSON[obj](t, unit, "webhooks", "delete", id))
	assert.Equal(t, []string{other}, ids(okJSON[[]obj](t, unit, "webhooks", "list")))
	assert.Equal(t, "Deleted webhook "+other+".\n", ok(t, unit, "webhooks", "delete", other).stdout)
	assert.Empty(t, okJSON[[]obj](t, unit, "webhooks", "list"))
	r = ctl(t, unit, "webhooks", "delete", id)
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "404")

	// Another unit's scope is not this one's; portal users' keys reach no webhooks.
	r = ctl(t, unit, "--msn", "654321", "webhooks", "list")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "403")
	r = ctl(t, s.env("admin"), "webhooks", "list")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "403")
}

// receiver is a merchant's webhook receiver on this machine: it verifies
// every notification with the secrets of its URL in the secrets file, as
// read at that moment (webhooks.Handler), and hands the events to the test.
type receiver struct {
	url    string // the URL to register
	events chan webhooks.Event
}

func startReceiver(t *testing.T, secrets string) *receiver {
	t.Helper()
	r := &receiver{events: make(chan webhooks.Event, 16)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		file, err := loadSecrets("--store", secrets)
		if err != nil {
			http.Error(w, "no secrets", http.StatusInternalServerError)
			return
		}
		key := webhooks.Key{URL: r.url, MaxSkew: 5 * time.Minute}
		for _, e := range file.Webhooks {
			if e.URL == r.url {
				key.Secrets = append(key.Secrets, vipps.Secret(e.Secret))
			}
		}
		webhooks.Handler(key, func(_ context.Context, ev webhooks.Event) error {
			r.events <- ev
			return nil
		}).ServeHTTP(w, req)
	}))
	// The URL is set before the server starts: its requests follow from a
	// registration made by another process, which the race detector cannot see.
	r.url = "http://" + srv.Listener.Addr().String() + "/vipps/hooks"
	srv.Start()
	t.Cleanup(srv.Close)
	return r
}

// next is the next event the receiver took.
func (r *receiver) next(t *testing.T) webhooks.Event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(time.Minute): // a bound on a broken run, not a wait
		t.Fatal("no notification reached the receiver")
		return webhooks.Event{}
	}
}

// webhooks trigger has the simulator send a notification; the receiver
// verifies it with the secret register stored, then with the one
// rotate-secret stored once the old registration is gone.
func TestWebhooksTriggerReachesAReceiverThroughRotation(t *testing.T) {
	t.Parallel()
	s := startSim(t, "-local-webhooks")
	unit := s.unitEnv(t, "123456")
	store := filepath.Join(t.TempDir(), "secrets.json")
	recv := startReceiver(t, store)

	id := okJSON[obj](t, unit, "webhooks", "register", "--url", recv.url, "--event", captured, "--store", store)["id"].(string)

	sent := okJSON[obj](t, unit, "webhooks", "trigger", "--msn", "123456", "--event", captured)
	assert.Equal(t, "123456", sent["msn"])
	assert.Equal(t, captured, sent["event"])
	assert.Equal(t, float64(1), sent["registrations"])
	ref, _ := sent["reference"].(string)
	assert.Regexp(t, `^portalctl-[0-9a-f]{16}$`, ref)
	ev := recv.next(t)
	assert.Equal(t, webhooks.EPaymentCaptured, ev.Name)
	require.NotNil(t, ev.EPayment, "a typed ePayment event")
	assert.Equal(t, "123456", ev.EPayment.MSN)
	assert.Equal(t, ref, ev.EPayment.Reference)
	assert.Equal(t, "CAPTURED", ev.EPayment.Name)
	assert.Equal(t, webhooks.Amount{Currency: "NOK", Value: 100}, ev.EPayment.Amount)
	assert.True(t, ev.EPayment.Success)

	// A new secret: the twin is registered and stored, the old registration deleted.
	rotated := okJSON[obj](t, unit, "webhooks", "rotate-secret", id, "--store", store, "--overlap", "0")
	twin, _ := rotated["id"].(string)
	assert.Regexp(t, uuidLike, twin)
	assert.NotEqual(t, id, twin)
	assert.Equal(t, id, rotated["replaces"])
	assert.Equal(t, recv.url, rotated["url"])
	assert.Equal(t, []any{captured}, rotated["events"])
	assert.Equal(t, "123456", rotated["msn"])
	assert.Equal(t, vipps.Redacted, rotated["secret"])
	assert.Equal(t, []string{twin}, ids(okJSON[[]obj](t, unit, "webhooks", "list")), "the old registration is gone")
	file := readSecrets(t, store)
	require.Len(t, file.Webhooks, 2)
	assert.Equal(t, id, file.Webhooks[0].ID)
	assert.False(t, file.Webhooks[0].DeletedAt.IsZero(), "the old one is marked deleted, its secret kept")
	assert.Equal(t, twin, file.Webhooks[1].ID)
	assert.Equal(t, id, file.Webhooks[1].Replaces)
	assert.NotEqual(t, file.Webhooks[0].Secret, file.Webhooks[1].Secret)

	// The twin's notifications verify with the new secret; a payload of one's own goes whole.
	payload := filepath.Join(t.TempDir(), "payload.json")
	require.NoError(t, os.WriteFile(payload, []byte(`{"msn":"123456","reference":"order-42","pspReference":"p-1","name":"CAPTURED",
		"amount":{"currency":"NOK","value":35000},"timestamp":"2026-01-02T03:04:05Z","success":true}`), 0o600))
	sent = okJSON[obj](t, unit, "webhooks", "trigger", "--msn", "123456", "--event", captured, "--payload", payload)
	assert.Equal(t, "order-42", sent["reference"])
	ev = recv.next(t)
	assert.Equal(t, "order-42", ev.EPayment.Reference)
	assert.Equal(t, int64(35000), ev.EPayment.Amount.Value)
	assert.Equal(t, "Sent "+captured+" about 123456 to 1 registration(s); the simulator delivers it, retrying as Vipps does.\n",
		ok(t, unit, "webhooks", "trigger", "--msn", "123456", "--event", captured).stdout)
	recv.next(t)

	// No registration holds the event: nothing is sent, and the error says what to do.
	r := ctl(t, unit, "webhooks", "trigger", "--msn", "123456", "--event", authorized)
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "the simulator sent nothing: no registration holds the event")
	assert.Contains(t, r.stderr, "Register one first: portalctl webhooks register")

	// A rotation of a registration that is not there changes nothing.
	r = ctl(t, unit, "webhooks", "rotate-secret", id, "--store", store, "--overlap", "0")
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Len(t, readSecrets(t, store).Webhooks, 2)
}

// VIPPS_BASE_URL that is not the standalone simulator is named as the fault.
func TestWebhooksTriggerNeedsTheSimulator(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(other.Close)
	r := ctl(t, map[string]string{envBaseURL: other.URL}, "webhooks", "trigger", "--msn", "123456", "--event", captured)
	assert.Equal(t, exitFailed, r.code, "%s", r)
	assert.Contains(t, r.stderr, "VIPPS_BASE_URL="+other.URL+" is not the standalone simulator: POST /_simulator/notifications answered 404")

	r = ctl(t, map[string]string{envBaseURL: other.URL}, "webhooks", "trigger", "--msn", "123456", "--event", captured, "-v")
	assert.Contains(t, r.stderr, "level=DEBUG msg=\"simulator request\" method=POST path=/_simulator/notifications")
}

func TestWebhooksEnsure(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	partner := s.env("partner")
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.json")
	spec := filepath.Join(dir, "webhooks.json")
	require.NoError(t, os.WriteFile(spec, []byte(`{
  "webhooks": [
    {"msn": "123456", "url": "https://hooks.example.com/vipps/unit", "events": ["`+captured+`"]},
    {"url": "https://hooks.example.com/vipps/all", "events": ["`+authorized+`", "`+captured+`"]}
  ],
  "ownedPrefixes": ["https://hooks.example.com/vipps/"]
}`), 0o600))
	// A registration the spec owns and no longer declares (partner-wide), and one it does not own.
	stale := okJSON[obj](t, partner, "webhooks", "register", "--url", "https://hooks.example.com/vipps/old", "--event", captured, "--store", secrets)["id"].(string)
	foreign := okJSON[obj](t, partner, "webhooks", "register", "--url", "https://elsewhere.example.com/hook", "--event", captured, "--store", secrets)["id"].(string)
	before, err := os.ReadFile(secrets)
	require.NoError(t, err)

	// --dry-run: the plan, and nothing changed.
	plan := okJSON[obj](t, partner, "webhooks", "ensure", "--file", spec, "--secrets", secrets, "--dry-run")
	assert.Equal(t, true, plan["dryRun"])
	actions := plan["actions"].([]any)
	require.Len(t, actions, 3, "%v", plan)
	ops := map[string]obj{}
	for _, a := range actions {
		a := a.(obj)
		ops[a["op"].(string)+" "+a["url"].(string)] = a
		assert.Equal(t, false, a["done"])
	}
	del := ops["delete https://hooks.example.com/vipps/old"]
	require.NotNil(t, del, "%v", ops)
	assert.Equal(t, stale, del["id"])
	assert.Equal(t, "partner-wide", del["scope"])
	assert.Contains(t, del["reason"], "not declared; under owned prefix https://hooks.example.com/vipps/")
	unitReg := ops["register https://hooks.example.com/vipps/unit"]
	require.NotNil(t, unitReg, "%v", ops)
	assert.Equal(t, "123456", unitReg["scope"])
	assert.Equal(t, []any{captured}, unitReg["events"])
	allReg := ops["register https://hooks.example.com/vipps/all"]
	require.NotNil(t, allReg, "%v", ops)
	assert.Equal(t, "partner-wide", allReg["scope"])
	assert.Equal(t, []any{authorized, captured}, allReg["events"])
	r := ok(t, partner, "webhooks", "ensure", "--file", spec, "--secrets", secrets, "--dry-run")
	assert.Contains(t, r.stdout, "webhooks plan (dry run): 2 to register, 1 to delete, 0 to keep\n")
	assert.Contains(t, r.stderr, "Dry run: nothing was changed.")
	assert.ElementsMatch(t, []string{stale, foreign}, ids(okJSON[[]obj](t, partner, "webhooks", "list")), "nothing registered or deleted")
	after, err := os.ReadFile(secrets)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the secrets file is not touched")

	// Applied: registered, secrets stored, the stale one deleted and marked.
	plan = okJSON[obj](t, partner, "webhooks", "ensure", "--file", spec, "--secrets", secrets)
	assert.Equal(t, false, plan["dryRun"])
	registered := map[string]string{} // url → id
	for _, a := range plan["actions"].([]any) {
		a := a.(obj)
		assert.Equal(t, true, a["done"], "%v", a)
		if a["op"] == "register" {
			registered[a["url"].(string)] = a["id"].(string)
		}
	}
	require.Len(t, registered, 2)
	assert.ElementsMatch(t, []string{registered["https://hooks.example.com/vipps/all"], foreign}, ids(okJSON[[]obj](t, partner, "webhooks", "list")))
	assert.Equal(t, []string{registered["https://hooks.example.com/vipps/unit"]}, ids(okJSON[[]obj](t, partner, "--msn", "123456", "webhooks", "list")))
	file := readSecrets(t, secrets)
	require.Len(t, file.Webhooks, 4)
	byID := map[string]secretEntry{}
	for _, e := range file.Webhooks {
		byID[e.ID] = e
	}
	for url, id := range registered {
		e := byID[id]
		assert.Equal(t, url, e.URL)
		assert.NotEmpty(t, e.Secret)
		assert.True(t, e.DeletedAt.IsZero())
	}
	assert.Equal(t, "123456", byID[registered["https://hooks.example.com/vipps/unit"]].MSN)
	assert.Empty(t, byID[registered["https://hooks.example.com/vipps/all"]].MSN, "partner-wide")
	assert.False(t, byID[stale].DeletedAt.IsZero(), "the stale registration is marked deleted")
	assert.True(t, byID[foreign].DeletedAt.IsZero())

	// Again: everything is as declared.
	r = ok(t, partner, "webhooks", "ensure", "--file", spec, "--secrets", secrets)
	assert.Contains(t, r.stdout, "webhooks plan: 0 to register, 0 to delete, 2 to keep\n")
	assert.Len(t, readSecrets(t, secrets).Webhooks, 4)

	// A spec that is not one is refused before any request, naming the field.
	for _, tc := range []struct{ spec, says string }{
		{`{"hooks": []}`, `not a webhooks spec ({"webhooks": [...], "ownedPrefixes": [...]}): unknown field "hooks"`},
		{`{"webhooks": [{"url": "ftp://hooks.example.com/x", "events": ["` + captured + `"]}]}`, "webhooks[0].url must use https"},
		{`{"webhooks": [{"url": "https://hooks.example.com/x", "events": ["Captured"]}]}`, "webhooks[0].events[0]"},
	} {
		bad := filepath.Join(dir, "bad.json")
		require.NoError(t, os.WriteFile(bad, []byte(tc.spec), 0o600))
		r := ctl(t, partner, "webhooks", "ensure", "--file", bad, "--secrets", secrets)
		assert.Equal(t, exitUsage, r.code, "%s", r)
		assert.Contains(t, r.stderr, "--file "+bad+": ")
		assert.Contains(t, r.stderr, tc.says)
	}
}

// The secrets file is refused, never overwritten, when it is not one.
func TestWebhooksSecretsFileIsRefusedWhenItIsNotOne(t *testing.T) {
	t.Parallel()
	s := startSim(t)
	unit := s.unitEnv(t, "123456")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys.json")
	ok(t, s.env("admin"), "keys", "get", "123456", "--store", keyFile)
	before, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	r := ctl(t, unit, "webhooks", "register", "--url", "https://hooks.example.com/x", "--event", captured, "--store", keyFile)
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "--store "+keyFile+`: not a webhook secrets file ({"webhooks": [...]}): unknown field "inUse"`)
	after, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Empty(t, okJSON[[]obj](t, unit, "webhooks", "list"), "nothing was registered")

	open := filepath.Join(dir, "open.json")
	require.NoError(t, os.WriteFile(open, []byte(`{"webhooks": []}`), 0o644))
	r = ctl(t, unit, "webhooks", "register", "--url", "https://hooks.example.com/x", "--event", captured, "--store", open)
	assert.Equal(t, exitUsage, r.code, "%s", r)
	assert.Contains(t, r.stderr, "the file is open to its group or others (mode 0644): make it 0600")
}
