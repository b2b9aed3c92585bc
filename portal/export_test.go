package portal

import "github.com/vippsportal/sdk/internal/core"

// CoreOf exposes the client's core to the external tests, so they can send a
// request of any group without depending on a service's signature.
func CoreOf(c *Client) *core.Client { return c.core }
