package salesunit_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vippsportal/sdk/salesunit"
)

// Printing a sales unit, a merchant or a creation shows the values behind
// pointer fields, never an address.
func TestRecordsPrintValuesNotAddresses(t *testing.T) {
	yes, no := true, false
	unit := &salesunit.SalesUnit{MSN: "123456", Name: "ACME Web", Configuration: salesunit.Configuration{
		PaymentAllowed: &yes, RecurringAllowed: &no, CaptureType: salesunit.CaptureReserve}}
	for _, verb := range []string{"%v", "%+v", "%s"} {
		got := fmt.Sprintf(verb, unit)
		assert.NotContains(t, got, "0x", verb)
		assert.Contains(t, got, "PaymentAllowed:true", verb)
		assert.Contains(t, got, "RecurringAllowed:false", verb)
		assert.Contains(t, got, "SkipLandingPageAllowed:<nil>", verb, "not told stays visible as such")
		assert.Contains(t, got, "CaptureType:ReserveCapture", verb)
	}

	m := salesunit.Merchant{Name: "ACME", BusinessAddress: &salesunit.Address{Lines: []string{"Storgata 1"}, City: "Oslo"}}
	got := fmt.Sprintf("%v", &m)
	assert.NotContains(t, got, "0x")
	assert.Contains(t, got, "City:Oslo")
	assert.Contains(t, got, "BusinessPostAddress:<nil>")

	cr := salesunit.Creation{CreationID: "c1", Status: salesunit.CreationFailed, Failure: &salesunit.Problem{Title: "provisioning failed", Status: 500}}
	got = fmt.Sprintf("%v", []salesunit.Creation{cr})
	assert.NotContains(t, got, "0x")
	assert.Contains(t, got, "Title:provisioning failed")
}
