// Package keys reads, regenerates, verifies and rotates the API keys of sales units.
package keys

import "github.com/vippsportal/sdk/portal/vipps"

// Secret is a credential value (client secret, subscription key, token). Every
// printing, formatting, JSON, text and slog path shows "[REDACTED]"; Reveal
// gives the value. Persisting a secret is therefore always an explicit call.
type Secret = vipps.Secret
