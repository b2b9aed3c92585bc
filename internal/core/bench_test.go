package core_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/vippsportal/sdk/internal/core"
)

type benchThing struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Count  int    `json:"count"`
}

const benchBody = `{"id":"su-123456","name":"ACME Web","status":"ACTIVE","count":3}`

// BenchmarkCoreGet compares one GET through core.Client.Do (token cached) with
// the same GET written by hand with net/http, on the same server and the same
// transport settings.
func BenchmarkCoreGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/accesstoken/get" {
			_, _ = io.WriteString(w, tokenJSON(testAccessToken, 3600))
			return
		}
		_, _ = io.WriteString(w, benchBody)
	}))
	defer srv.Close()

	b.Run("sdk", func(b *testing.B) {
		hc := core.DefaultHTTPClient()
		defer hc.CloseIdleConnections()
		c := newClient(b, srv.URL, hc)
		req := &core.Request{Group: core.GroupManagement, Operation: "getMsn", Method: http.MethodGet, Path: "/management/v1/sales-units/123456"}
		var out benchThing
		if _, err := c.Do(b.Context(), req, &out); err != nil { // warm: token and connection
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			out = benchThing{}
			if _, err := c.Do(b.Context(), req, &out); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if out.ID != "su-123456" {
			b.Fatalf("decoded %+v", out)
		}
	})

	b.Run("nethttp", func(b *testing.B) {
		hc := core.DefaultHTTPClient()
		defer hc.CloseIdleConnections()
		u := srv.URL + "/management/v1/sales-units/123456"
		tok := "Bearer " + testAccessToken
		do := func(out *benchThing) error {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, u, nil)
			if err != nil {
				return err
			}
			h := req.Header
			h.Set("User-Agent", core.UserAgent)
			h.Set("Accept", "application/json")
			h.Set("Vipps-System-Name", "acme-pos")
			h.Set("Vipps-System-Version", "1.2.3")
			h.Set("Vipps-System-Plugin-Name", "acme-plugin")
			h.Set("Vipps-System-Plugin-Version", "4.5.6")
			h.Set("Ocp-Apim-Subscription-Key", testSubKey)
			h.Set("Authorization", tok)
			h.Set("Merchant-Serial-Number", testMSN)
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			err = json.NewDecoder(resp.Body).Decode(out)
			_, _ = io.Copy(io.Discard, resp.Body)
			return err
		}
		var out benchThing
		if err := do(&out); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			out = benchThing{}
			if err := do(&out); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if out.ID != "su-123456" {
			b.Fatalf("decoded %+v", out)
		}
	})
}
