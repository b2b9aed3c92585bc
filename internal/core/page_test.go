package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
)

// pager serves pages keyed by the token asked for and counts fetches.
type pager struct {
	pages   map[string]core.Page[int]
	fetches []string
	fail    map[string]error
}

func (p *pager) fetch(_ context.Context, token string) (core.Page[int], error) {
	p.fetches = append(p.fetches, token)
	if err := p.fail[token]; err != nil {
		return core.Page[int]{}, err
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
	p := &pager{pages: map[string]core.Page[int]{
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
	p := &pager{pages: map[string]core.Page[int]{"b": {Items: []int{3}}}}
	items, _ := collect(core.Walk(t.Context(), "b", p.fetch))
	assert.Equal(t, []int{3}, items)
	assert.Equal(t, []string{"b"}, p.fetches)
}

func TestWalkStopsOnRepeatedToken(t *testing.T) {
	p := &pager{pages: map[string]core.Page[int]{
		"":  {Items: []int{1}, NextPageToken: "a"},
		"a": {Items: []int{2}, NextPageToken: "b"},
		"b": {Items: []int{3}, NextPageToken: "a"}, // loops back
	}}
	items, errs := collect(core.Walk(t.Context(), "", p.fetch))
	assert.Equal(t, []int{1, 2, 3}, items)
	assert.Empty(t, errs)
	assert.Equal(t, []string{"", "a", "b"}, p.fetches)

	self := &pager{pages: map[string]core.Page[int]{"x": {Items: []int{7}, NextPageToken: "x"}}}
	items, _ = collect(core.Walk(t.Context(), "x", self.fetch))
	assert.Equal(t, []int{7}, items)
	assert.Len(t, self.fetches, 1)
}

func TestWalkConsumerBreaks(t *testing.T) {
	p := &pager{pages: map[string]core.Page[int]{
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
	p := &pager{pages: map[string]core.Page[int]{
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
	boom := &core.Error{StatusCode: 400, Problem: core.ProblemInvalidPageToken}
	p := &pager{pages: map[string]core.Page[int]{"": {Items: []int{1}, NextPageToken: "a"}}, fail: map[string]error{"a": boom}}
	var seen []string
	for v, err := range core.Walk(t.Context(), "", p.fetch) {
		seen = append(seen, fmt.Sprint(v, err != nil))
		if err != nil {
			assert.True(t, errors.Is(err, core.ErrBadRequest))
		}
	}
	assert.Equal(t, []string{"1 false", "0 true"}, seen)
}

func TestPageQueryAndSize(t *testing.T) {
	assert.Empty(t, core.PageQuery(0, "").Encode())
	assert.Equal(t, "pageSize=50&pageToken=a%2Bb%3D", core.PageQuery(50, "a+b=").Encode())
}
