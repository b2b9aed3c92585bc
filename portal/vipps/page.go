package vipps

// Page is one page of a portal listing (test units, creations, users), in the
// listing's order. NextPageToken is "" on the last page; pass it back as
// ListOptions.PageToken for the next one, or use the service's All to walk
// every page.
type Page[T any] struct {
	Items         []T    `json:"items"`
	NextPageToken string `json:"nextPageToken,omitempty"`
}
