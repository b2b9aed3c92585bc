package salesunit_test

import (
	"context"
	"fmt"

	"github.com/vippsportal/sdk/salesunit"
)

// orderShops is code of yours that needs one call of the SDK: it takes the
// one-method interface, so its test can fake that call alone.
func orderShops(ctx context.Context, creator salesunit.TestUnitCreator, names ...string) ([]string, error) {
	var ids []string
	for _, n := range names {
		c, err := creator.Create(ctx, salesunit.TestUnitRequest{Name: n, Options: salesunit.TestUnitOptions{Recurring: true}})
		if err != nil {
			return ids, err
		}
		ids = append(ids, c.CreationID)
	}
	return ids, nil
}

// fakeCreator records what it was asked for.
type fakeCreator struct{ asked []salesunit.TestUnitRequest }

func (f *fakeCreator) Create(_ context.Context, req salesunit.TestUnitRequest) (*salesunit.Creation, error) {
	f.asked = append(f.asked, req)
	return &salesunit.Creation{CreationID: fmt.Sprintf("creation-%d", len(f.asked)), Status: salesunit.CreationPending, Request: req}, nil
}

func ExampleTestUnitCreator() {
	// A real client is used the same way: orderShops(ctx, client.TestUnits, ...).
	fake := &fakeCreator{}
	ids, err := orderShops(context.Background(), fake, "Shop A", "Shop B")
	fmt.Println(ids, err, fake.asked[1].Name, fake.asked[1].Options.Recurring)

	// Output: [creation-1 creation-2] <nil> Shop B true
}
