// Package secret gives the SDK's internals a short name for vipps.Secret, the
// one string type every credential is held in.
package secret

import "github.com/vippsportal/sdk/portal/vipps"

// Secret is vipps.Secret.
type Secret = vipps.Secret

// Redacted is what every printing of a non-empty Secret shows.
const Redacted = vipps.Redacted
