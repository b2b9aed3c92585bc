package core

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/vippsportal/sdk/portal/vipps"
)

// Page is one page of a portal listing: vipps.Page, so that every listing
// returns the one public page type.
type Page[T any] = vipps.Page[T]

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

// Walk yields every item of a paged listing, fetching pages lazily from the
// first token on. It stops after a page with no next token, or when the server
// repeats a token (which would loop forever), and checks ctx between pages. An
// error is yielded once, as the last pair.
func Walk[T any](ctx context.Context, first string, fetch func(ctx context.Context, token string) (Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := CheckContext(ctx); err != nil {
			yield(zero, err)
			return
		}
		seen := map[string]bool{}
		token := first
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
			for _, item := range page.Items {
				if !yield(item, nil) {
					return
				}
			}
			if token != "" {
				seen[token] = true
			}
			next := page.NextPageToken
			if next == "" || seen[next] {
				return
			}
			token = next
		}
	}
}
