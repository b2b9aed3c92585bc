package core

import (
	"context"
	"net/http"
	"strings"

	"github.com/vippsportal/sdk/vipps"
)

// responseKey carries the caller's *vipps.Response (portal.WithResponse).
type responseKey struct{}

// WithResponse returns a context whose calls record their answer in meta.
func WithResponse(ctx context.Context, meta *vipps.Response) context.Context {
	return context.WithValue(ctx, responseKey{}, meta)
}

func responseOf(ctx context.Context) *vipps.Response {
	meta, _ := ctx.Value(responseKey{}).(*vipps.Response)
	return meta
}

// requestIDHeaders are read in order for Response.RequestID: the contract
// names no request-id header, so these are the common ones.
var requestIDHeaders = [...]string{"Vipps-Request-Id", "X-Request-Id", "Request-Id", "X-Correlation-Id", "Correlation-Id"}

// credentialHeaderNames never reach a Response, whatever a server echoes.
var credentialHeaderNames = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Ocp-Apim-Subscription-Key": true,
	"Client_id": true, "Client_secret": true, "Client-Id": true, "Client-Secret": true,
	"Set-Cookie": true, "Cookie": true,
}

// startResponse clears the caller's holder at the start of a call, so that a
// holder reused for several calls never shows an earlier call's answer.
func startResponse(ctx context.Context, operation string) {
	if meta := responseOf(ctx); meta != nil {
		*meta = vipps.Response{Operation: operation}
	}
}

// observeResponse records an HTTP answer in the holder of ctx, if any. It
// runs on the goroutine of ctx's call (send is synchronous); the token cache,
// whose fetch runs on a goroutine of its own, gives the fetch a holder of its
// own and copies it to its callers' when the fetch failed.
// secrets are the values the request carried; a header value containing one
// is redacted (a server echoing a credential must not hand it to a log).
func observeResponse(ctx context.Context, operation string, resp *http.Response, secrets ...vipps.Secret) {
	meta := responseOf(ctx)
	if meta == nil || resp == nil {
		return
	}
	h := make(http.Header, len(resp.Header))
	for k, vs := range resp.Header {
		if credentialHeaderNames[http.CanonicalHeaderKey(k)] {
			continue
		}
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = redactValue(v, secrets)
		}
		h[k] = out
	}
	meta.Operation, meta.StatusCode, meta.Header, meta.RequestID = operation, resp.StatusCode, h, ""
	for _, name := range requestIDHeaders {
		if id := h.Get(name); id != "" {
			meta.RequestID = id
			break
		}
	}
}

// finishResponse records the attempts of the call that ends with res or err.
func finishResponse(ctx context.Context, operation string, res *Answer, err error) {
	meta := responseOf(ctx)
	if meta == nil {
		return
	}
	switch e := err.(type) {
	case nil:
		if res != nil {
			meta.Attempts = res.Attempts
		}
	case *vipps.Error:
		meta.Attempts = e.Attempts
		switch {
		case e.StatusCode == 0: // no answer: nothing of an earlier attempt stands for it
			meta.Operation, meta.StatusCode, meta.Header, meta.RequestID = operation, 0, nil, ""
		case meta.StatusCode == 0: // an answer send did not see (a token another call fetched)
			meta.Operation, meta.StatusCode = e.Operation, e.StatusCode
		}
	}
}

func redactValue(v string, secrets []vipps.Secret) string {
	for _, s := range secrets {
		raw := strings.TrimPrefix(s.Reveal(), "Bearer ")
		if len(raw) >= 4 && strings.Contains(v, raw) {
			v = strings.ReplaceAll(v, raw, vipps.Redacted)
		}
	}
	return v
}
