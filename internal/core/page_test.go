package core_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

// pager serves pages keyed by the token asked for and counts fetches.
type pager struct {
	pages   map[string]vipps.Page[int]
	fetches []string
	fail    map[string]error
}

func (p *pager) fetch(_ context.Context, token string) (vipps.Page[int], error) {
	p.fetches = append(p.fetches, token)
	if err := p.fail[token]; err != nil {
		return vipps.Page[int]{}, err
	}
	return p.pages[token], nil
}

func collect(seq func(func(int, error) bool)) (items []int, errs []error) {
	for v, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, v)
	}
	return
}

func TestWalkAllPagesStopsOnEmptyToken(t *testing.T) {
	p := &pager{pages: map[string]vipps.Page[int]{
		"":   {Items: []int{1, 2}, NextPageToken: "a"},
		"a":  {Items: nil, NextPageToken: "b"}, // an empty page in the middle does not end the walk
		"b":  {Items: []int{3}, NextPageToken: ""},
		"zz": {Items: []int{99}},
	}}
	seq := core.Walk(t.Context(), "", p.fetch)
	assert.Empty(t, p.fetches, "lazy: nothing fetched before ranging")
	items, errs := collect(seq)
	assert.Equal(t, []int{1, 2, 3}, items)
	assert.Empty(t, errs)
	assert.Equal(t, []string{"", "a", "b"}, p.fetches)
}

func TestWalkStartsAtFirstToken(t *testing.T) {
	p := &pager{pages: map[string]vipps.Page[int]{"b": {Items: []int{3}}}}
	items, _ := collect(core.Walk(t.Context(), "b", p.fetch))
	assert.Equal(t, []int{3}, items)
	assert.Equal(t, []string{"b"}, p.fetches)
}

func TestWalkStopsOnRepeatedToken(t *testing.T) {
	p := &pager{pages: map[string]vipps.Page[int]{
		"":  {Items: []int{1}, NextPageToken: "a"},
		"a": {Items: []int{2}, NextPageToken: "b"},
		"b": {Items: []int{3}, NextPageToken: "a"}, // loops back
	}}
	items, errs := collect(core.Walk(t.Context(), "", p.fetch))
	assert.Equal(t, []int{1, 2, 3}, items, "a short loop is caught before any item repeats")
	requirePagingError(t, errs, 3)
	assert.Equal(t, []string{"", "a", "b"}, p.fetches)

	self := &pager{pages: map[string]vipps.Page[int]{"x": {Items: []int{7}, NextPageToken: "x"}}}
	items, errs = collect(core.Walk(t.Context(), "x", self.fetch))
	assert.Equal(t, []int{7}, items)
	requirePagingError(t, errs, 1)
	assert.Len(t, self.fetches, 1)
}

func requirePagingError(t *testing.T, errs []error, pages int) {
	t.Helper()
	require.Len(t, errs, 1)
	var pe *vipps.PagingError
	require.ErrorAs(t, errs[0], &pe)
	assert.ErrorIs(t, errs[0], vipps.ErrRunawayPaging)
	assert.Equal(t, pages, pe.Pages)
}

// A loop longer than the tokens Walk keeps is still caught (Brent's cycle
// detection), within a few laps.
func TestWalkStopsOnLongLoop(t *testing.T) {
	const loop = 1000
	pages := 0
	fetch := func(_ context.Context, token string) (vipps.Page[int], error) {
		pages++
		i := 0
		if token != "" {
			i, _ = strconv.Atoi(token)
		}
		return vipps.Page[int]{Items: []int{i}, NextPageToken: strconv.Itoa(1 + i%loop)}, nil // 1 .. loop, then 1 again
	}
	_, errs := collect(core.Walk(t.Context(), "", fetch))
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], vipps.ErrRunawayPaging)
	assert.Less(t, pages, 3*loop, "caught within a few laps")
}

// Issue 8: a server that hands out a fresh token with every empty page ends
// the walk with a typed error (the caller's loop never runs, so it could not).
func TestWalkStopsOnRunawayEmptyPages(t *testing.T) {
	pages := 0
	fetch := func(_ context.Context, token string) (vipps.Page[int], error) {
		pages++
		return vipps.Page[int]{NextPageToken: "fresh-" + strconv.Itoa(pages)}, nil
	}
	items, errs := collect(core.Walk(t.Context(), "", fetch))
	assert.Empty(t, items)
	requirePagingError(t, errs, core.MaxEmptyPages)
	assert.Contains(t, errs[0].Error(), "16 empty pages in a row")
	assert.Equal(t, core.MaxEmptyPages, pages)

	// Empty pages between full ones are allowed: the count is of pages in a row.
	pages = 0
	mixed := func(_ context.Context, token string) (vipps.Page[int], error) {
		pages++
		if pages == 100 {
			return vipps.Page[int]{Items: []int{pages}}, nil
		}
		p := vipps.Page[int]{NextPageToken: "t" + strconv.Itoa(pages)}
		if pages%10 == 0 {
			p.Items = []int{pages}
		}
		return p, nil
	}
	items, errs = collect(core.Walk(t.Context(), "", mixed))
	assert.Empty(t, errs)
	assert.Len(t, items, 10)
}

// Issue 8: the guard's memory does not grow with the page count (it kept every
// token: about 250 B a page).
func TestWalkMemoryDoesNotGrowWithPages(t *testing.T) {
	var ms runtime.MemStats
	fetch := func(_ context.Context, token string) (vipps.Page[int], error) {
		n, _ := strconv.Atoi(strings.TrimPrefix(token, "page-token-0123456789abcdef0123456789abcdef0123456789-"))
		return vipps.Page[int]{Items: []int{n}, NextPageToken: "page-token-0123456789abcdef0123456789abcdef0123456789-" + strconv.Itoa(n+1)}, nil
	}
	var at10k uint64
	for v, err := range core.Walk(t.Context(), "", fetch) {
		require.NoError(t, err)
		switch v {
		case 10_000:
			runtime.GC()
			runtime.ReadMemStats(&ms)
			at10k = ms.HeapAlloc
		case 200_000:
			runtime.GC()
			runtime.ReadMemStats(&ms)
			grown := int64(ms.HeapAlloc) - int64(at10k)
			t.Logf("live heap grew %d B over 190,000 pages", grown)
			assert.Less(t, grown, int64(256<<10), "a map of every token would hold some 20 MB here")
		}
		if v == 200_000 {
			break
		}
	}
}

func TestWalkConsumerBreaks(t *testing.T) {
	p := &pager{pages: map[string]vipps.Page[int]{
		"":  {Items: []int{1, 2, 3}, NextPageToken: "a"},
		"a": {Items: []int{4}},
	}}
	var got []int
	for v, err := range core.Walk(t.Context(), "", p.fetch) {
		require.NoError(t, err)
		got = append(got, v)
		if v == 2 {
			break
		}
	}
	assert.Equal(t, []int{1, 2}, got)
	assert.Equal(t, []string{""}, p.fetches, "no page fetched after the consumer stopped")
}

func TestWalkChecksContextBetweenPages(t *testing.T) {
	p := &pager{pages: map[string]vipps.Page[int]{
		"":  {Items: []int{1, 2}, NextPageToken: "a"},
		"a": {Items: []int{3}},
	}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got []int
	var errs []error
	for v, err := range core.Walk(ctx, "", p.fetch) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, v)
		cancel()
	}
	assert.Equal(t, []int{1, 2}, got, "the page in hand is finished")
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.Equal(t, []string{""}, p.fetches)

	// A context already done fetches nothing.
	p.fetches = nil
	items, errs := collect(core.Walk(ctx, "", p.fetch))
	assert.Empty(t, items)
	assert.Len(t, errs, 1)
	assert.Empty(t, p.fetches)
}

func TestWalkErrorYieldedOnceLast(t *testing.T) {
	boom := &vipps.Error{StatusCode: 400, Problem: vipps.ProblemInvalidPageToken}
	p := &pager{pages: map[string]vipps.Page[int]{"": {Items: []int{1}, NextPageToken: "a"}}, fail: map[string]error{"a": boom}}
	var seen []string
	for v, err := range core.Walk(t.Context(), "", p.fetch) {
		seen = append(seen, fmt.Sprint(v, err != nil))
		if err != nil {
			assert.True(t, errors.Is(err, vipps.ErrBadRequest))
		}
	}
	assert.Equal(t, []string{"1 false", "0 true"}, seen)
}

func TestPageQueryAndSize(t *testing.T) {
	assert.Empty(t, core.PageQuery(0, "").Encode())
	assert.Equal(t, "pageSize=50&pageToken=a%2Bb%3D", core.PageQuery(50, "a+b=").Encode())
}
