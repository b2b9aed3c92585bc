// Package users manages the portal users of a merchant and their access to sales units.
package users

import "github.com/vippsportal/sdk/internal/core"

// Service manages portal users.
type Service struct{ c *core.Client }

// NewService is called by portal.New.
func NewService(c *core.Client) *Service { return &Service{c: c} }
