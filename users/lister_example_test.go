package users_test

import (
	"context"
	"fmt"
	"iter"

	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

// administrators is code of yours that walks every user: it takes a
// users.Lister (a client's Users in production).
func administrators(ctx context.Context, l users.Lister) ([]string, error) {
	var names []string
	for u, err := range l.All(ctx, nil) {
		if err != nil {
			return names, err
		}
		if u.Role == users.RoleAdministrator {
			names = append(names, u.Name)
		}
	}
	return names, nil
}

// fakeUsers yields a fixed list.
type fakeUsers []users.User

func (f fakeUsers) All(context.Context, *vipps.ListOptions) iter.Seq2[users.User, error] {
	return func(yield func(users.User, error) bool) {
		for _, u := range f {
			if !yield(u, nil) {
				return
			}
		}
	}
}

func ExampleLister() {
	fake := fakeUsers{
		{UserID: "ada", Name: "Ada Admin", Role: users.RoleAdministrator},
		{UserID: "dev", Name: "Dev Eloper", Role: users.RoleSalesUnitManager},
		{UserID: "bo", Name: "Bo Boss", Role: users.RoleAdministrator},
	}
	names, err := administrators(context.Background(), fake)
	fmt.Println(names, err)

	// Output: [Ada Admin Bo Boss] <nil>
}
