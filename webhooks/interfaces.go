package webhooks

import "context"

// Small single-operation interfaces, so code that needs one call can take it
// as a parameter and a test can fake just that call. Service satisfies them.

// Registrar registers a webhook ([Service.Register]).
type Registrar interface {
	Register(ctx context.Context, r Registration) (*Registered, error)
}

// Lister lists the registrations of a scope ([Service.List]).
type Lister interface {
	List(ctx context.Context) ([]Webhook, error)
}

// Deleter deletes a registration ([Service.Delete]).
type Deleter interface {
	Delete(ctx context.Context, id string) error
}

var (
	_ Registrar = (*Service)(nil)
	_ Lister    = (*Service)(nil)
	_ Deleter   = (*Service)(nil)
)
