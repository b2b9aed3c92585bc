package perf

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The fake server answers from bytes computed once at start, so every request
// costs it the same whichever client sent it. It serves:
//
//	POST {prefix}/accesstoken/get                  a token (contract shape: every field a string)
//	GET  /management/v1/sales-units/{msn}          one of bulkUnits sales units
//	GET  {prefix}/portal/v1/test-sales-units       pages of test units
//
// where {prefix} is "" or "/u{N}": a listing under /u1000 has 1,000 units, under
// /u10000 (and without a prefix) 10,000. Pages are the contract's: pageSize 1-100,
// an opaque pageToken, nextPageToken omitted on the last page. Under
// slowTokenPrefix everything is served alike, but a token takes slowToken.

const (
	serverEnv    = "PERF_FAKE_SERVER" // set in the child process that serves
	firstMSN     = 100000
	bulkUnits    = 2000
	maxTestUnits = 10000
	pageSize     = 100
	// slowTokenPrefix is a root whose token endpoint takes slowToken to answer,
	// as a loaded identity provider may.
	slowTokenPrefix = "/slowtoken"
	slowToken       = 50 * time.Millisecond
)

type fakeServer struct {
	units  map[string][]byte         // msn -> SalesUnit JSON
	pages  map[int]map[string][]byte // listing size -> page token ("" first) -> TestSalesUnitPage JSON
	tokens atomic.Int64
}

func unitMSN(i int) string { return strconv.Itoa(firstMSN + i) }

func newFakeServer() *fakeServer {
	f := &fakeServer{units: map[string][]byte{}, pages: map[int]map[string][]byte{}}
	for i := range bulkUnits {
		msn := unitMSN(i)
		f.units[msn] = fmt.Appendf(nil, `{"msn":%q,"name":"ACME Shop %d","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},`+
			`"configuration":{"paymentAllowed":true,"captureType":"ReserveCapture","skipLandingPageAllowed":false,"recurringAllowed":true,`+
			`"partialCaptureAllowed":true,"lateCaptureAllowed":false,"landingPagePhoneNumberLocked":false,"longLivingPaymentAllowed":false,`+
			`"creditCardPaymentAllowed":true}}`, msn, i)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, n := range []int{1000, maxTestUnits} {
		pages := map[string][]byte{}
		for p := 0; p*pageSize < n; p++ {
			var b strings.Builder
			b.WriteString(`{"items":[`)
			for i := p * pageSize; i < min(n, (p+1)*pageSize); i++ {
				if i > p*pageSize {
					b.WriteByte(',')
				}
				at := created.Add(time.Duration(i) * time.Second)
				fmt.Fprintf(&b, `{"msn":"%d","name":"Test unit %d","businessIdentifier":{"scheme":"business:NO:ORG","id":"987654325"},`+
					`"options":{"skipLandingPage":true,"recurring":false,"directCapture":true},`+
					`"configuration":{"paymentAllowed":true,"captureType":"DirectCapture","skipLandingPageAllowed":true,"recurringAllowed":false},`+
					`"createdAt":%q,"completedAt":%q,"keysReady":true}`,
					500000+i, i, at.Format(time.RFC3339), at.Add(time.Minute).Format(time.RFC3339))
			}
			b.WriteString(`]`)
			if (p+1)*pageSize < n {
				fmt.Fprintf(&b, `,"nextPageToken":"pg-%d"`, p+1)
			}
			b.WriteString(`}`)
			token := ""
			if p > 0 {
				token = "pg-" + strconv.Itoa(p)
			}
			pages[token] = []byte(b.String())
		}
		f.pages[n] = pages
	}
	return f
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, listing := r.URL.Path, maxTestUnits
	rest, slow := strings.CutPrefix(path, slowTokenPrefix+"/")
	if slow {
		path = "/" + rest
	}
	if rest, ok := strings.CutPrefix(path, "/u"); ok {
		i := strings.IndexByte(rest, '/')
		n, err := strconv.Atoi(rest[:max(i, 0)])
		if i < 0 || err != nil || f.pages[n] == nil {
			http.NotFound(w, r)
			return
		}
		path, listing = rest[i:], n
	}
	switch {
	case r.Method == http.MethodPost && path == "/accesstoken/get":
		if r.Header.Get("client_id") == "" || r.Header.Get("client_secret") == "" || r.Header.Get("Ocp-Apim-Subscription-Key") == "" {
			writeJSON(w, http.StatusUnauthorized, "application/json", []byte(`{"error":"invalid_client"}`))
			return
		}
		if slow {
			time.Sleep(slowToken)
		}
		n := f.tokens.Add(1)
		writeJSON(w, http.StatusOK, "application/json", fmt.Appendf(nil,
			`{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0","expires_on":"%d","not_before":"%d","resource":"perf","access_token":"perf-token-%d"}`,
			time.Now().Unix()+3600, time.Now().Unix(), n))
	case r.Method == http.MethodGet && path == "/_stats/tokens":
		writeJSON(w, http.StatusOK, "application/json", strconv.AppendInt(nil, f.tokens.Load(), 10))
	case r.Method != http.MethodGet:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	case !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer perf-token-") || r.Header.Get("Ocp-Apim-Subscription-Key") == "":
		writeJSON(w, http.StatusUnauthorized, "application/problem+json",
			[]byte(`{"type":"https://portal-sdk.invalid/problems/invalid-token","title":"Unauthorized","status":401,"detail":"no token","instance":"/"}`))
	case strings.HasPrefix(path, "/management/v1/sales-units/"):
		body, ok := f.units[strings.TrimPrefix(path, "/management/v1/sales-units/")]
		if !ok {
			writeJSON(w, http.StatusNotFound, "application/problem+json",
				[]byte(`{"type":"https://portal-sdk.invalid/problems/not-found","title":"Not Found","status":404,"detail":"no such unit","instance":"/"}`))
			return
		}
		writeJSON(w, http.StatusOK, "application/json;charset=UTF-8", body)
	case path == "/portal/v1/test-sales-units":
		q := r.URL.Query()
		if q.Get("pageSize") != strconv.Itoa(pageSize) {
			http.Error(w, "this fake serves pageSize=100 only", http.StatusBadRequest)
			return
		}
		body, ok := f.pages[listing][q.Get("pageToken")]
		if !ok {
			writeJSON(w, http.StatusBadRequest, "application/problem+json",
				[]byte(`{"type":"https://portal-sdk.invalid/problems/invalid-page-token","title":"Bad Request","status":400,"detail":"bad token","instance":"/"}`))
			return
		}
		writeJSON(w, http.StatusOK, "application/json", body)
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serveChild is the child process: it serves on a loopback port, prints the URL
// on stdout and stops when its stdin closes (the parent exited or closed it).
func serveChild() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake server:", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: newFakeServer(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	fmt.Println("http://" + ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
	os.Exit(0)
}

// child is the fake server process, seen from the tests.
type child struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

func startChild() (*child, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serverEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("fake server did not start: %w", err)
	}
	return &child{URL: strings.TrimSpace(line), cmd: cmd, stdin: stdin}, nil
}

func (c *child) stop() {
	_ = c.stdin.Close()
	_ = c.cmd.Wait()
}
