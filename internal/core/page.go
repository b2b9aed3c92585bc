package core

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/vippsportal/sdk/vipps"
)

// PageQuery encodes pageSize and pageToken; zero values are left out.
func PageQuery(pageSize int, pageToken string) url.Values {
	q := url.Values{}
	if pageSize > 0 {
		q.Set("pageSize", strconv.Itoa(pageSize))
	}
	if pageToken != "" {
		q.Set("pageToken", pageToken)
	}
	return q
}

// ListQuery checks opts (nil is the first page at the server's size) and
// encodes it as a query.
func ListQuery(opts *vipps.ListOptions) (url.Values, error) {
	o := CopyList(opts)
	if err := CheckPageSize("ListOptions.PageSize", o.PageSize); err != nil {
		return nil, err
	}
	return PageQuery(o.PageSize, o.PageToken), nil
}

// CopyList returns *opts, or the zero options for nil: a walk keeps its own copy.
func CopyList(opts *vipps.ListOptions) vipps.ListOptions {
	if opts == nil {
		return vipps.ListOptions{}
	}
	return *opts
}

// Walk's guards against a server whose tokens would never end a listing.
const (
	// MaxEmptyPages is how many empty pages in a row, each with a next token,
	// end a walk with a *PagingError (the contract lets only the last page be empty).
	MaxEmptyPages = 16
	// recentTokens is how many of the last tokens Walk keeps, so a short loop
	// is caught before any item is yielded twice; longer loops are caught by
	// Brent's cycle detection. Memory stays the same whatever the page count.
	recentTokens = 8
)

// Walk yields every item of a paged listing, fetching pages lazily from the
// first token on. It stops after a page with no next token, and checks ctx
// between pages. A server that repeats a token (a loop) or hands out
// MaxEmptyPages empty pages in a row ends the walk with a *PagingError. An
// error is yielded once, as the last pair.
func Walk[T any](ctx context.Context, first string, fetch func(ctx context.Context, token string) (vipps.Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := CheckContext(ctx); err != nil {
			yield(zero, err)
			return
		}
		var recent [recentTokens]string
		// Brent: tortoise is the token at the last power of two; lam counts the
		// tokens since. A loop of any length meets the tortoise within a few laps.
		tortoise, power, lam := first, 1, 0
		token := first
		pages, empty := 0, 0
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			page, err := fetch(ctx, token)
			if err != nil {
				yield(zero, err)
				return
			}
			recent[pages%recentTokens] = token
			pages++
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			next := page.NextPageToken
			if next == "" {
				return
			}
			if len(page.Items) == 0 {
				empty++
			} else {
				empty = 0
			}
			repeated := next == tortoise
			for i := 0; i < min(pages, recentTokens) && !repeated; i++ {
				repeated = recent[i] == next
			}
			switch {
			case repeated:
				yield(zero, &vipps.PagingError{Pages: pages, Reason: "the server repeated a page token"})
				return
			case empty >= MaxEmptyPages:
				yield(zero, &vipps.PagingError{Pages: pages, Reason: strconv.Itoa(empty) + " empty pages in a row, each with a next token"})
				return
			}
			if lam++; lam == power {
				tortoise, power, lam = next, power*2, 0
			}
			token = next
		}
	}
}
