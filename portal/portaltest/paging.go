package portaltest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// sortKey orders a listing: a time, ties by id.
type sortKey struct {
	T  time.Time `json:"t"`
	ID string    `json:"i"`
}

func (a sortKey) less(b sortKey) bool {
	if !a.T.Equal(b.T) {
		return a.T.Before(b.T)
	}
	return a.ID < b.ID
}

// cursor is what a page token carries: who may use it, for what, and the
// last key returned. Tokens are signed, so any other string is refused.
type cursor struct {
	Merchant string  `json:"m"`
	Op       string  `json:"o"`
	Filter   string  `json:"f"`
	After    sortKey `json:"a"`
}

type paging struct {
	size  int
	after *sortKey
	bind  cursor
}

// parsePaging checks pageSize and pageToken for one listing of a merchant.
func (s *Server) parsePaging(rq *request, merchant bizID, filter string) (paging, *apiError) {
	q := rq.r.URL.Query()
	p := paging{size: 20, bind: cursor{Merchant: merchant.scheme + "/" + merchant.id, Op: rq.op, Filter: filter}}
	if vs, ok := q["pageSize"]; ok {
		n, err := strconv.Atoi(vs[0])
		if err != nil || n < 1 || n > 100 || len(vs) > 1 {
			return p, badRequest("pageSize", "pageSize must be an integer from 1 to 100")
		}
		p.size = n
	}
	if tok := q.Get("pageToken"); tok != "" {
		c, ok := s.openToken(tok)
		if !ok || c.Merchant != p.bind.Merchant || c.Op != p.bind.Op || c.Filter != p.bind.Filter {
			return p, newProblem(http.StatusBadRequest, pInvalidPageToken, "pageToken was not issued for this listing")
		}
		p.after = &c.After
	}
	return p, nil
}

func (s *Server) sealToken(c cursor) string {
	b, _ := json.Marshal(c)
	m := hmac.New(sha256.New, s.pageKey)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (s *Server) openToken(tok string) (cursor, bool) {
	var c cursor
	payload, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return c, false
	}
	b, err1 := base64.RawURLEncoding.DecodeString(payload)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return c, false
	}
	m := hmac.New(sha256.New, s.pageKey)
	m.Write(b)
	if !hmac.Equal(m.Sum(nil)[:16], got) {
		return c, false
	}
	if json.Unmarshal(b, &c) != nil {
		return c, false
	}
	return c, true
}

// page cuts one page of items (any order) after the cursor, and the token
// for the next page ("" on the last page). A cursor on the sort key keeps
// pages stable under additions and removals.
func page[T any](s *Server, p paging, items []T, key func(T) sortKey) ([]T, string) {
	sort.Slice(items, func(i, j int) bool { return key(items[i]).less(key(items[j])) })
	start := 0
	if p.after != nil {
		start = sort.Search(len(items), func(i int) bool { return p.after.less(key(items[i])) })
	}
	rest := items[start:]
	if len(rest) <= p.size {
		return rest, ""
	}
	out := rest[:p.size]
	c := p.bind
	c.After = key(out[len(out)-1])
	return out, s.sealToken(c)
}

// listPaging checks a listing request of the caller's merchant: pageSize and
// pageToken (bound to filter) first, then that it has no body.
func (s *Server) listPaging(rq *request, filter string) (paging, *apiError) {
	p, e := s.parsePaging(rq, s.callerMerchant(rq), filter)
	if e == nil {
		e = rq.bodyLimit()
	}
	return p, e
}

// pageResponse answers one page of items (cut by page, sorted by key) as
// their views; an empty page has an empty items array.
func pageResponse[T, J any](s *Server, p paging, items []T, key func(T) sortKey, view func(T) J) *response {
	cut, next := page(s, p, items, key)
	out := pageJSON[J]{Items: []J{}, NextPageToken: next}
	for _, it := range cut {
		out.Items = append(out.Items, view(it))
	}
	return portalOK(http.StatusOK, out)
}
