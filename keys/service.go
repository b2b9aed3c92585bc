package keys

import "github.com/vippsportal/sdk/internal/core"

// Service reads, regenerates, verifies and rotates API keys.
type Service struct{ c *core.Client }

// NewService is called by portal.New.
func NewService(c *core.Client) *Service { return &Service{c: c} }
