package salesunit_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/vipps"
)

// merchantName is code of yours that needs one call: it takes a
// salesunit.MerchantGetter (a client's Merchants in production).
func merchantName(ctx context.Context, merchants salesunit.MerchantGetter, orgNo string) string {
	m, err := merchants.Get(ctx, vipps.BusinessIdentifier{Scheme: "business:NO:ORG", ID: orgNo})
	switch {
	case errors.Is(err, vipps.ErrNotFound):
		return "(unknown merchant)"
	case err != nil:
		return "(error: " + err.Error() + ")"
	}
	return m.Name
}

// fakeMerchants answers one known merchant and a 404 *vipps.Error for the rest.
type fakeMerchants map[string]string

func (f fakeMerchants) Get(_ context.Context, bid vipps.BusinessIdentifier) (*salesunit.Merchant, error) {
	if name, ok := f[bid.ID]; ok {
		return &salesunit.Merchant{BusinessIdentifier: bid, Name: name, CountryCode: "NO"}, nil
	}
	return nil, &vipps.Error{StatusCode: 404, Problem: vipps.ProblemNotFound, Operation: "getMerchantByBusinessIdentifier"}
}

func ExampleMerchantGetter() {
	fake := fakeMerchants{"987654325": "ACME Fantastic Fitness"}
	fmt.Println(merchantName(context.Background(), fake, "987654325"))
	fmt.Println(merchantName(context.Background(), fake, "111111111"))

	// Output:
	// ACME Fantastic Fitness
	// (unknown merchant)
}
