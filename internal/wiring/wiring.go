// Package wiring lets portal.New build the domain services without any
// exported constructor that takes an internal type (users cannot call one, and
// its signature would put an internal package in their documentation).
//
// Each domain package registers, in its init, a constructor keyed by the
// service's type; portal.New asks for each service by type. internal imports
// no domain package: the registry knows types only through generics. The
// table is written during package initialisation (before main, in one
// goroutine, as database/sql drivers register) and only read afterwards.
package wiring

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/vippsportal/sdk/internal/core"
)

var constructors sync.Map // reflect.Type of T -> func(*core.Client) *T

// Register records how to build a *T around a core client. A second
// registration of the same type is a programming error.
func Register[T any](build func(*core.Client) *T) {
	if _, dup := constructors.LoadOrStore(reflect.TypeFor[T](), build); dup {
		panic(fmt.Sprintf("wiring: %v registered twice", reflect.TypeFor[T]()))
	}
}

// New builds a *T with its registered constructor. The domain package of T
// registers in its init, which has run before any caller can name T, so a
// missing constructor is an SDK bug, reported as an error rather than a panic.
func New[T any](c *core.Client) (*T, error) {
	v, ok := constructors.Load(reflect.TypeFor[T]())
	if !ok {
		return nil, fmt.Errorf("vipps: internal error: no constructor registered for %v", reflect.TypeFor[T]())
	}
	return v.(func(*core.Client) *T)(c), nil
}
