package vipps

// ListOptions choose one page of a listing that pages: PageSize 1-100 (0 for
// the server's default of 20) and PageToken, a previous page's NextPageToken
// ("" for the first page). A listing with filters takes an options struct that
// embeds ListOptions and adds them as fields.
//
// The rule for List across the SDK: where the API pages (the portal's test
// units, creations and users), List returns one [Page] and All walks every page
// lazily; where it does not (the Management API), List returns the whole list.
type ListOptions struct {
	PageSize  int
	PageToken string
}

// Page is one page of a portal listing (test units, creations, users), in the
// listing's order. NextPageToken is "" on the last page; pass it back as
// [ListOptions.PageToken] for the next one, or use the service's All to walk
// every page.
type Page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}
