package portaltest

import (
	"fmt"
	"slices"
	"strings"
)

// The contract's operation ids, as a [Fault], [Server.Effects],
// [Server.RequestsOf] and [LoggedRequest.Operation] name them. An id that is
// not one of these is refused: a fault that could never fire, or a count
// that could never move, would let a test pass for nothing.
const (
	// Access Token API.
	OpFetchAuthorizationTokenUsingPost = "fetchAuthorizationTokenUsingPost" // POST /accesstoken/get (standard flow)
	OpFetchToken                       = "fetchToken"                       // POST /miami/v1/token (specialized flow, management keys)

	// Management API.
	OpGetAllSalesUnits                  = "getAllSalesUnits"                  // GET /management/v1/sales-units
	OpGetMsn                            = "getMsn"                            // GET /management/v1/sales-units/{msn}
	OpGetMerchantByBusinessIdentifier   = "getMerchantByBusinessIdentifier"   // GET /management/v1/merchants/{scheme}/{id}
	OpGetSalesUnitsByBusinessIdentifier = "getSalesUnitsByBusinessIdentifier" // GET /management/v1/merchants/{scheme}/{id}/sales-units
	OpGetPartnerPricePackages           = "getPartnerPricePackages"           // GET /management/v1/partners/price-packages
	OpOrderProduct                      = "orderProduct"                      // POST /management/v1/product-orders (the prefill)
	OpDeleteProductOrder                = "deleteProductOrder"                // DELETE /management/v1/product-orders/{productOrderId}
	OpGetProductOrders                  = "getProductOrders"                  // GET /management/v2/product-orders
	OpGetProductOrderDetails            = "getProductOrderDetails"            // GET /management/v2/product-orders/{productOrderId}/details

	// Portal operations.
	OpGetMe                      = "getMe"                      // GET /portal/v1/me
	OpListTestSalesUnits         = "listTestSalesUnits"         // GET /portal/v1/test-sales-units
	OpCreateTestSalesUnit        = "createTestSalesUnit"        // POST /portal/v1/test-sales-units
	OpListTestSalesUnitCreations = "listTestSalesUnitCreations" // GET /portal/v1/test-sales-units/creations
	OpGetTestSalesUnitCreation   = "getTestSalesUnitCreation"   // GET /portal/v1/test-sales-units/creations/{creationId}
	OpGetTestSalesUnit           = "getTestSalesUnit"           // GET /portal/v1/test-sales-units/{msn}
	OpUpdateTestSalesUnit        = "updateTestSalesUnit"        // PATCH /portal/v1/test-sales-units/{msn} (always refused)
	OpGetKeys                    = "getKeys"                    // GET /portal/v1/sales-units/{msn}/keys
	OpRegenerateKey              = "regenerateKey"              // POST /portal/v1/sales-units/{msn}/keys/regenerate
	OpListUsers                  = "listUsers"                  // GET /portal/v1/users
	OpInviteUser                 = "inviteUser"                 // POST /portal/v1/users
	OpGetUser                    = "getUser"                    // GET /portal/v1/users/{userId}
	OpRemoveUser                 = "removeUser"                 // DELETE /portal/v1/users/{userId}
	OpGrantAccess                = "grantAccess"                // PUT /portal/v1/users/{userId}/sales-units/{msn}
	OpRevokeAccess               = "revokeAccess"               // DELETE /portal/v1/users/{userId}/sales-units/{msn}

	// Webhooks API.
	OpGetAllWebhooks  = "getAllWebhooks"  // GET /webhooks/v1/webhooks
	OpRegisterWebhook = "registerWebhook" // POST /webhooks/v1/webhooks
	OpDeleteWebhook   = "deleteWebhook"   // DELETE /webhooks/v1/webhooks/{id}
)

// operations lists every id, in the contract's order.
var operations = []string{
	OpFetchAuthorizationTokenUsingPost, OpFetchToken,
	OpGetAllSalesUnits, OpGetMsn, OpGetMerchantByBusinessIdentifier, OpGetSalesUnitsByBusinessIdentifier, OpGetPartnerPricePackages, OpOrderProduct, OpDeleteProductOrder, OpGetProductOrders, OpGetProductOrderDetails,
	OpGetMe, OpListTestSalesUnits, OpCreateTestSalesUnit, OpListTestSalesUnitCreations, OpGetTestSalesUnitCreation, OpGetTestSalesUnit, OpUpdateTestSalesUnit, OpGetKeys, OpRegenerateKey, OpListUsers, OpInviteUser, OpGetUser, OpRemoveUser, OpGrantAccess, OpRevokeAccess,
	OpGetAllWebhooks, OpRegisterWebhook, OpDeleteWebhook,
}

// Operations returns the contract's operation ids (the Op* constants), in
// the contract's order.
func Operations() []string { return slices.Clone(operations) }

// checkOperation refuses an id the contract does not have, listing the valid
// ones; "" (no operation) is checked by the caller where it means something.
func checkOperation(op string) error {
	if slices.Contains(operations, op) {
		return nil
	}
	return fmt.Errorf("unknown operation id %q; the contract's ids are %s", op, strings.Join(operations, ", "))
}

// mustOperation panics on an unknown id: a count of it could never move.
func mustOperation(op string) {
	if err := checkOperation(op); err != nil {
		panic("portaltest: " + err.Error())
	}
}
