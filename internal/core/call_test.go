package core_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vippsportal/sdk/internal/core"
	"github.com/vippsportal/sdk/vipps"
)

func TestCallDecodesTheAnswer(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/management/v1/things" {
			_, _ = w.Write([]byte(`[{"name":"a"},{"name":"b"}]`))
			return
		}
		_, _ = w.Write([]byte(`{"name":"a"}`))
	})
	c := newClient(t, s.URL, httpClient(t))
	type thing struct{ Name string }
	one, err := core.Call[thing](t.Context(), c, getReq())
	require.NoError(t, err)
	assert.Equal(t, &thing{Name: "a"}, one)
	list, err := core.CallList[thing](t.Context(), c, &core.Request{Group: core.GroupManagement,
		Operation: "listThings", Method: http.MethodGet, Path: "/management/v1/things"})
	require.NoError(t, err)
	assert.Equal(t, []thing{{"a"}, {"b"}}, list)
}

func TestCallOfAServiceNotBuilt(t *testing.T) {
	var c *core.Client // a service portal.New did not build has none
	v, err := core.Call[struct{}](t.Context(), c, getReq())
	assert.Nil(t, v)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
	l, err := core.CallList[int](t.Context(), c, getReq())
	assert.Nil(t, l)
	assert.ErrorIs(t, err, vipps.ErrUnsupported)
}

func TestAllWalksFromTheCallersPageAtItsSize(t *testing.T) {
	pages := map[string]*vipps.Page[int]{
		"p2": {Items: []int{3, 4}, NextPageToken: "p3"},
		"p3": {Items: []int{5}},
	}
	var asked []vipps.ListOptions
	list := func(_ context.Context, o *vipps.ListOptions) (*vipps.Page[int], error) {
		asked = append(asked, *o)
		return pages[o.PageToken], nil
	}
	opts := &vipps.ListOptions{PageSize: 2, PageToken: "p2"}
	items, errs := collect(core.All(t.Context(), opts, list))
	assert.Equal(t, []int{3, 4, 5}, items)
	assert.Empty(t, errs)
	assert.Equal(t, []vipps.ListOptions{{PageSize: 2, PageToken: "p2"}, {PageSize: 2, PageToken: "p3"}}, asked)
	assert.Equal(t, vipps.ListOptions{PageSize: 2, PageToken: "p2"}, *opts, "the caller's options are not changed")

	asked = nil
	items, errs = collect(core.All(t.Context(), nil, func(ctx context.Context, o *vipps.ListOptions) (*vipps.Page[int], error) {
		asked = append(asked, *o)
		return &vipps.Page[int]{Items: []int{1}}, nil
	}))
	assert.Equal(t, []int{1}, items)
	assert.Empty(t, errs)
	assert.Equal(t, []vipps.ListOptions{{}}, asked, "nil options: the first page at the server's size")
}

func TestCheckUUID(t *testing.T) {
	for _, bad := range []string{"", "not-a-uuid", "5b1f6c43-8f0e-4a8e-9a57-0d6f2b3c4d5", "5b1f6c43/8f0e-4a8e-9a57-0d6f2b3c4d5e",
		"5b1f6c43-8f0e-4a8e-9a57-0d6f2b3c4d5g", "5b1f6c438f0e-4a8e-9a57-0d6f2b3c4d5e0"} {
		assert.ErrorIs(t, core.CheckUUID("id", bad), vipps.ErrInvalidInput, "%q", bad)
	}
	for _, good := range []string{"5b1f6c43-8f0e-4a8e-9a57-0d6f2b3c4d5e", "8A11AFB7-C223-48ED-8CA6-4722B97261AA"} {
		assert.NoError(t, core.CheckUUID("id", good), "%q", good)
	}
}

func TestPageSendsTheListOptionsAsItsQuery(t *testing.T) {
	var query atomic.Value
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		query.Store(r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[1,2],"nextPageToken":"n"}`))
	})
	c := newClient(t, s.URL, httpClient(t))
	list := func() *core.Request {
		return &core.Request{Group: core.GroupManagement, Operation: "listThings", Method: http.MethodGet, Path: "/management/v1/things"}
	}
	p, err := core.Page[int](t.Context(), c, &vipps.ListOptions{PageSize: 2, PageToken: "t"}, list())
	require.NoError(t, err)
	assert.Equal(t, &vipps.Page[int]{Items: []int{1, 2}, NextPageToken: "n"}, p)
	require.Len(t, s.apiRequests(), 1)
	assert.Equal(t, "pageSize=2&pageToken=t", query.Load())

	_, err = core.Page[int](t.Context(), c, &vipps.ListOptions{PageSize: 101}, list())
	assert.ErrorIs(t, err, vipps.ErrInvalidInput)
	assert.Len(t, s.apiRequests(), 1, "a bad page size is refused before sending")
}

func TestServiceClientOfANilService(t *testing.T) {
	type service struct{ c *core.Client }
	field := func(s *service) *core.Client { return s.c }
	assert.Nil(t, core.ServiceClient[service](nil, field))
	c := &core.Client{}
	assert.Same(t, c, core.ServiceClient(&service{c: c}, field))
}
