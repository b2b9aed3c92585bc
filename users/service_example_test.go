package users_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/vippsportal/sdk/portal/portaltest"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
)

func ExampleService_Me() {
	// The SDK's simulator, acting as its seeded ADMINISTRATOR ("admin", Ada
	// Admin). Against a real gateway you would build the client with
	// portal.New or portal.NewFromEnv.
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()

	me, err := c.Users.Me(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (%s) at %s\n", me.Name, me.Role, me.Merchant.Name)
	// Output: Ada Admin (ADMINISTRATOR) at ACME Fantastic Fitness
}

func ExampleService_Invite() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()

	u, err := c.Users.Invite(context.Background(), users.InviteRequest{
		PhoneNumber: "+4798765432", Name: "Nora Ny", Email: "nora@example.com", Role: users.RoleSalesUnitManager,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Name, u.Role, u.Status)
	// Output: Nora Ny SALES_UNIT_MANAGER INVITED
}

// A phone number that is already a user of the merchant is a 409 user-exists.
func ExampleService_Invite_userExists() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()

	_, err := c.Users.Invite(context.Background(), users.InviteRequest{
		PhoneNumber: "+4792345678", Name: "Dev Again", Role: users.RoleAssistant,
	})
	var pe *vipps.Error
	if errors.Is(err, vipps.ErrConflict) && errors.As(err, &pe) && pe.Problem == vipps.ProblemUserExists {
		fmt.Println("already a user:", pe.StatusCode, pe.Problem)
	}
	// Output: already a user: 409 user-exists
}

// Bad input is refused before any request, with an error naming the field.
func ExampleService_Invite_validation() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()

	_, err := c.Users.Invite(context.Background(), users.InviteRequest{
		PhoneNumber: "98765432", Name: "Nora Ny", Role: users.RoleAssistant,
	})
	var ve *vipps.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Field)
	}
	fmt.Println(len(sim.Requests()), "requests sent")
	// Output:
	// InviteRequest.PhoneNumber
	// 0 requests sent
}

func ExampleService_Grant() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()
	ctx := context.Background()

	// Let the assistant read and regenerate the keys of the test unit 223344.
	a, err := c.Users.Grant(ctx, portaltest.AssistantUserID, portaltest.TestMSN,
		users.PermissionDeveloper, users.PermissionTransactionManagement)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.MSN, a.Permissions)
	// Output: 223344 [DEVELOPER TRANSACTION_MANAGEMENT]
}

func ExampleService_Revoke() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()
	ctx := context.Background()

	if err := c.Users.Revoke(ctx, portaltest.DeveloperUserID, portaltest.TestMSN); err != nil {
		fmt.Println(err)
		return
	}
	u, err := c.Users.Get(ctx, portaltest.DeveloperUserID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range u.SalesUnits {
		fmt.Println(a.MSN, a.Permissions)
	}
	// Output: 123456 [DEVELOPER]
}

func ExampleService_All() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()

	for u, err := range c.Users.All(context.Background(), &vipps.ListOptions{PageSize: 2}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(u.UserID, u.Role)
	}
	// Output:
	// admin ADMINISTRATOR
	// assistant ASSISTANT
	// dev SALES_UNIT_MANAGER
}

func ExampleService_List() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()
	ctx := context.Background()

	opts := &vipps.ListOptions{PageSize: 2}
	for {
		page, err := c.Users.List(ctx, opts)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(len(page.Items), "users on this page")
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	// Output:
	// 2 users on this page
	// 1 users on this page
}

func ExampleService_Remove() {
	sim := portaltest.NewServer()
	defer sim.Close()
	c := sim.AdminClient()
	ctx := context.Background()

	if err := c.Users.Remove(ctx, portaltest.AssistantUserID); err != nil {
		fmt.Println(err)
		return
	}
	_, err := c.Users.Get(ctx, portaltest.AssistantUserID)
	fmt.Println(errors.Is(err, vipps.ErrNotFound))

	// The last ACTIVE administrator cannot be removed.
	err = c.Users.Remove(ctx, portaltest.AdminUserID)
	var pe *vipps.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.Problem)
	}
	// Output:
	// true
	// last-administrator
}
