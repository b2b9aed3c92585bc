package portal_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/keys"
	"github.com/vippsportal/sdk/portal"
	"github.com/vippsportal/sdk/salesunit"
	"github.com/vippsportal/sdk/users"
	"github.com/vippsportal/sdk/vipps"
	"github.com/vippsportal/sdk/webhooks"
)

// callEvery calls every exported method of every service whose first parameter
// is a context, with ctx and plausible arguments (valid MSN-shaped strings,
// zero values otherwise), and returns each call's error (the first an iterator
// yields, for iterators).
func callEvery(t *testing.T, services []any, ctx context.Context) map[string]error {
	out := map[string]error{}
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	for _, svc := range services {
		v := reflect.ValueOf(svc)
		for i := range v.NumMethod() {
			m := v.Type().Method(i)
			mt := m.Type // includes the receiver
			if mt.NumIn() < 2 || mt.In(1) != ctxType {
				continue
			}
			name := fmt.Sprintf("%s.%s", v.Type().Elem().Name(), m.Name)
			args := []reflect.Value{v, reflect.ValueOf(&ctx).Elem()}
			for j := 2; j < mt.NumIn(); j++ {
				p := mt.In(j)
				switch {
				case mt.IsVariadic() && j == mt.NumIn()-1:
					args = append(args, reflect.Zero(p))
				case p.Kind() == reflect.String:
					args = append(args, reflect.ValueOf("123456").Convert(p))
				default:
					args = append(args, reflect.Zero(p))
				}
			}
			var res []reflect.Value
			require.NotPanics(t, func() {
				if mt.IsVariadic() {
					res = v.Method(i).CallSlice(args[1:])
				} else {
					res = v.Method(i).Call(args[1:])
				}
			}, name)
			var err error
			for _, r := range res {
				if r.Type().Implements(errType) && !r.IsNil() {
					err = r.Interface().(error)
				}
				if r.Kind() == reflect.Func && r.Type().NumIn() == 1 { // iter.Seq2[T, error]
					require.NotPanics(t, func() { err = firstIterErr(r) }, name)
				}
			}
			out[name] = err
		}
	}
	return out
}

// firstIterErr runs an iter.Seq2[T, error] until its first error.
func firstIterErr(seq reflect.Value) error {
	var got error
	yield := reflect.MakeFunc(seq.Type().In(0), func(args []reflect.Value) []reflect.Value {
		if e, ok := args[1].Interface().(error); ok && e != nil {
			got = e
			return []reflect.Value{reflect.ValueOf(false)}
		}
		return []reflect.Value{reflect.ValueOf(false)}
	})
	seq.Call([]reflect.Value{yield})
	return got
}

var _ iter.Seq2[int, error] // firstIterErr drives these

func services(c *portal.Client) []any {
	return []any{c.SalesUnits, c.Merchants, c.ProductOrders, c.TestUnits, c.Keys, c.Users, c.Webhooks}
}

// A nil context is an error in every operation, never a panic, and no request is sent.
func TestNilContextIsAnErrorEverywhere(t *testing.T) {
	s := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	c, err := portal.New(portal.WithCredentials(creds()), portal.WithBaseURL(s.URL), portal.WithPortalURL(s.URL), portal.WithHTTPClient(hc(t)))
	require.NoError(t, err)
	var nilCtx context.Context // nil on purpose
	errs := callEvery(t, services(c), nilCtx)
	require.Greater(t, len(errs), 25, "every operation was called")
	for name, err := range errs {
		assert.Error(t, err, name)
	}
	assert.Zero(t, s.api.Load()+s.tokens.Load(), "no request with a nil context")
}

// Zero-value services (not built by portal.New) fail with an error, not a panic.
func TestZeroValueServicesAreErrors(t *testing.T) {
	zero := []any{&salesunit.SalesUnitsService{}, &salesunit.MerchantsService{}, &salesunit.ProductOrdersService{},
		&salesunit.TestUnitsService{}, &keys.Service{}, &users.Service{}, &webhooks.Service{}}
	errs := callEvery(t, zero, context.Background())
	require.Greater(t, len(errs), 25, "every operation was called")
	for name, err := range errs {
		assert.Error(t, err, name)
		var ue *vipps.UnsupportedError
		var ve *vipps.ValidationError
		assert.True(t, errors.As(err, &ue) || errors.As(err, &ve), "%s: %v", name, err)
	}
}
