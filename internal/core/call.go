package core

import (
	"context"
	"iter"

	"github.com/vippsportal/sdk/vipps"
)

// Call sends r and decodes the answer's body into a new T: what a service
// method does when all it needs of the answer is its body.
func Call[T any](ctx context.Context, c *Client, r *Request) (*T, error) {
	var v T
	if _, err := c.Do(ctx, r, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CallList is Call for an operation whose answer is a JSON array (the
// Management API's unpaged lists).
func CallList[T any](ctx context.Context, c *Client, r *Request) ([]T, error) {
	v, err := Call[[]T](ctx, c, r)
	if err != nil {
		return nil, err
	}
	return *v, nil
}

// Page reads one page of a paged listing: r at opts (checked, and encoded as
// r's query; nil is the first page at the server's size).
func Page[T any](ctx context.Context, c *Client, opts *vipps.ListOptions, r *Request) (*vipps.Page[T], error) {
	q, err := ListQuery(opts)
	if err != nil {
		return nil, err
	}
	r.Query = q
	return Call[vipps.Page[T]](ctx, c, r)
}

// All walks every item of a paged listing lazily (see Walk), from
// opts.PageToken on, at opts.PageSize; list reads one page. opts is copied,
// so the caller may reuse it; nil is the first page at the server's size.
func All[T any](ctx context.Context, opts *vipps.ListOptions, list func(context.Context, *vipps.ListOptions) (*vipps.Page[T], error)) iter.Seq2[T, error] {
	o := CopyList(opts)
	return Walk(ctx, o.PageToken, func(ctx context.Context, token string) (vipps.Page[T], error) {
		p, err := list(ctx, &vipps.ListOptions{PageSize: o.PageSize, PageToken: token})
		if err != nil || p == nil {
			return vipps.Page[T]{}, err
		}
		return *p, nil
	})
}
