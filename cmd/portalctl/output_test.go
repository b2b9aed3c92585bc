package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// record shows a record's JSON fields in their order, nested records and
// lists of records indented, and scalars of a list on one line.
func TestRecordForPeople(t *testing.T) {
	type access struct {
		MSN         string   `json:"msn"`
		Permissions []string `json:"permissions"`
	}
	v := struct {
		Name    string            `json:"name"`
		Nested  map[string]bool   `json:"nested"`
		Units   []access          `json:"salesUnits"`
		Tags    []string          `json:"tags"`
		Empty   map[string]string `json:"empty"`
		Nothing *string           `json:"nothing"`
		Evil    string            `json:"evil"`
	}{
		Name:   "Dev shop",
		Nested: map[string]bool{"on": true},
		Units:  []access{{"123456", []string{"DEVELOPER", "TRANSACTION_MANAGEMENT"}}, {"223344", nil}},
		Tags:   []string{"a", "b"},
		Evil:   "line\x1b[2Jbreak\n",
	}
	var out bytes.Buffer
	a := &app{stdout: &out}
	require.NoError(t, a.record(v))
	assert.Equal(t, "name:  Dev shop\n"+
		"nested:\n"+
		"  on:  true\n"+
		"salesUnits:\n"+
		"  - msn:          123456\n"+
		"    permissions:  DEVELOPER, TRANSACTION_MANAGEMENT\n"+
		"  - msn:          223344\n"+
		"    permissions:  -\n"+
		"tags:             a, b\n"+
		"empty:            -\n"+
		"nothing:          -\n"+
		"evil:             line?[2Jbreak?\n", out.String())

	out.Reset()
	a.json = true
	require.NoError(t, a.record(struct {
		URL string `json:"url"`
	}{"https://a.example/?a=1&b=2"}))
	assert.Equal(t, "{\n  \"url\": \"https://a.example/?a=1&b=2\"\n}\n", out.String(), "indented, & not escaped")
}

func TestListForPeopleAndScripts(t *testing.T) {
	var out bytes.Buffer
	a := &app{stdout: &out}
	row := func(s string) []string { return []string{s, "x\ty"} }
	require.NoError(t, list(a, []string{"1", "22"}, []string{"ID", "OTHER"}, row))
	assert.Equal(t, "ID  OTHER\n1   x?y\n22  x?y\n", out.String(), "a tab in a value cannot break the table")

	out.Reset()
	a.json = true
	require.NoError(t, list[string](a, nil, []string{"ID"}, row))
	assert.Equal(t, "[]\n", out.String(), "none is an empty array, not null")
}
