package core

import (
	"context"

	"github.com/vippsportal/sdk/vipps"
)

// What portal's Diagnose reads of a client beyond its public surface. Kept in
// its own file: it only reads the client's settings and sends nothing.

// PortalURL is the host root of portal operations; "" when none is configured.
func (c *Client) PortalURL() string { return c.portal }

// CallCredentials is the key set a call made with ctx uses: the live set, with
// the context's Merchant-Serial-Number (WithMSN) in place of the set's own.
// fromContext reports that the MSN came from the context. A malformed WithMSN
// is the error a call would get.
func (c *Client) CallCredentials(ctx context.Context) (creds vipps.Credentials, fromContext bool, err error) {
	creds, done, err := c.acquire(ctx)
	done()
	_, fromContext = msnFrom(ctx)
	return creds, fromContext, err
}

// TokenEndpoint is the URL of the token endpoint that creds' flow uses under root.
func TokenEndpoint(creds vipps.Credentials, root string) string {
	if creds.Specialized() {
		return root + specializedTokenPath
	}
	return root + standardTokenPath
}
