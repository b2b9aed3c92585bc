package portaltest_test

// Throughput of the simulator: a token-authenticated GET and a test unit
// creation. These use a plain keep-alive client (no contract validation) so
// that they measure the simulator, not kin-openapi.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/vippsportal/sdk/portal/portaltest"
)

type benchClient struct {
	s      *portaltest.Server
	client *http.Client
	token  string
	subKey string
}

func newBenchClient(b *testing.B, opts ...portaltest.Option) *benchClient {
	b.Helper()
	s := portaltest.NewServer(opts...)
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		s.Close()
	})
	c := s.UserCredentials(portaltest.AdminUserID)
	req, err := http.NewRequest(http.MethodPost, s.URL+"/accesstoken/get", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("client_id", c.ClientID)
	req.Header.Set("client_secret", c.ClientSecret.Reveal())
	req.Header.Set("Ocp-Apim-Subscription-Key", c.SubscriptionKey.Reveal())
	client := &http.Client{Transport: tr}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok accessToken
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return &benchClient{s: s, client: client, token: tok.AccessToken, subKey: c.SubscriptionKey.Reveal()}
}

func (c *benchClient) do(method, path, key string, body []byte) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.s.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Ocp-Apim-Subscription-Key", c.subKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkSimulatorGet: GET /portal/v1/me and /portal/v1/test-sales-units/{msn} with a token.
func BenchmarkSimulatorGet(b *testing.B) {
	for name, path := range map[string]string{"me": pathMe, "test-unit": testUnitPath(portaltest.TestMSN)} {
		b.Run(name, func(b *testing.B) {
			c := newBenchClient(b)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					status, err := c.do(http.MethodGet, path, "", nil)
					if err != nil || status != http.StatusOK {
						b.Errorf("GET %s: %d %v", path, status, err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSimulatorCreate: POST /portal/v1/test-sales-units with fresh keys.
func BenchmarkSimulatorCreate(b *testing.B) {
	c := newBenchClient(b, portaltest.WithManualProvisioning())
	body := []byte(`{"name":"Bench shop","options":{"directCapture":true}}`)
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("bench-%d", n.Add(1))
			status, err := c.do(http.MethodPost, pathTestUnits, key, body)
			if err != nil || status != http.StatusAccepted {
				b.Errorf("create: %d %v", status, err)
				return
			}
		}
	})
	b.StopTimer()
	if got, want := c.s.Effects(portaltest.OpCreateTestSalesUnit), int(n.Load()); got != want {
		b.Errorf("Effects = %d, want %d (one creation per fresh key)", got, want)
	}
}
