package keys

import (
	"encoding/json"
	"time"

	"github.com/vippsportal/sdk/vipps"
)

// verificationJSON is the JSON form of a Verification.
type verificationJSON struct {
	MSN                      string            `json:"msn"`
	Environment              vipps.Environment `json:"environment"`
	TokenURL                 string            `json:"tokenUrl"`
	OK                       bool              `json:"ok"`
	SubscriptionKeyPrimary   keyOutcomeJSON    `json:"subscriptionKeyPrimary"`
	SubscriptionKeySecondary keyOutcomeJSON    `json:"subscriptionKeySecondary"`
	ClientError              string            `json:"clientError,omitempty"`
	VerifiedAt               time.Time         `json:"verifiedAt"`
}

type keyOutcomeJSON struct {
	Works bool   `json:"works"`
	Error string `json:"error,omitempty"`
}

// MarshalJSON encodes the verification with stable lowerCamel names, each
// failure as its text (which holds no key value, as every error of Verify):
//
//	{"msn": "123456", "environment": "production", "tokenUrl": "https://api.vipps.no/accesstoken/get", "ok": false,
//	 "subscriptionKeyPrimary": {"works": true},
//	 "subscriptionKeySecondary": {"works": false, "error": "keys: subscriptionKeySecondary of sales unit 123456 does not work: ..."},
//	 "verifiedAt": "2026-01-02T03:04:05Z"}
//
// "error" is left out for a key that works, and "clientError" (the
// token endpoint refused the client id or secret: [Verification.ClientErr])
// when there is none.
func (v Verification) MarshalJSON() ([]byte, error) {
	outcome := func(ok bool, err error) keyOutcomeJSON {
		o := keyOutcomeJSON{Works: ok}
		if err != nil {
			o.Error = err.Error()
		}
		return o
	}
	out := verificationJSON{MSN: v.MSN, Environment: v.Environment, TokenURL: v.TokenURL, OK: v.OK(),
		SubscriptionKeyPrimary:   outcome(v.PrimaryOK, v.PrimaryErr),
		SubscriptionKeySecondary: outcome(v.SecondaryOK, v.SecondaryErr),
		VerifiedAt:               v.VerifiedAt}
	if v.ClientErr != nil {
		out.ClientError = v.ClientErr.Error()
	}
	return json.Marshal(out)
}
