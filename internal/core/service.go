package core

import "github.com/vippsportal/sdk/vipps"

// NotBuilt is the error of a call on a service that portal.New did not build
// (a zero value or a nil pointer): a clear error instead of a nil-pointer panic.
func NotBuilt(operation string) error {
	return &vipps.UnsupportedError{Operation: operation, Reason: "the service was not built by portal.New (it is a zero value or nil); use the services of a client from portal.New"}
}

// ServiceClient is the client that service s holds, read by field, or nil
// when s is nil (a service portal.New did not build, such as a field of a
// zero portal.Client): Do then answers NotBuilt instead of panicking. Each
// domain service's client method is one call of it.
func ServiceClient[S any](s *S, field func(*S) *Client) *Client {
	if s == nil {
		return nil
	}
	return field(s)
}

// StandardTokenEndpoint is the standard flow's token endpoint under root (a
// host root such as TokenURL returns).
func StandardTokenEndpoint(root string) string { return root + standardTokenPath }
