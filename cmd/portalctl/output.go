package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Output: with --json, one JSON document on stdout whose field names are the
// API contract's (the SDK's types carry them, and print every secret
// redacted); without it, what a person reads: a record as "field: value"
// lines, a list as a table.

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// show prints the record a call returned, or returns its error.
func (a *app) show(v any, err error) error {
	if err != nil {
		return err
	}
	return a.record(v)
}

// record prints one record: JSON with --json, else its JSON fields as aligned
// "field: value" lines, nested records indented, in the contract's order.
func (a *app) record(v any) error {
	if a.json {
		return writeJSON(a.stdout, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	parsed, err := parseOrdered(dec)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	if obj, ok := parsed.(object); ok {
		writeFields(tw, obj, "", "")
	} else {
		fmt.Fprintln(tw, scalar(parsed))
	}
	return tw.Flush()
}

// list prints items: a JSON array with --json (empty, not null, for none),
// else a table with header and one row per item.
func list[T any](a *app, items []T, header []string, row func(T) []string) error {
	if a.json {
		if items == nil {
			items = []T{}
		}
		return writeJSON(a.stdout, items)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, it := range items {
		cells := row(it)
		for i, c := range cells {
			cells[i] = printable(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// done reports work that returns nothing (a delete, a revoke): v with
// --json, text otherwise.
func (a *app) done(v any, text string) error {
	if a.json {
		return writeJSON(a.stdout, v)
	}
	_, err := fmt.Fprintln(a.stdout, text)
	return err
}

// object is a JSON object with its fields in order (a map would lose it).
type object []field

type field struct {
	key   string
	value any // string, json.Number, bool, nil, object or []any
}

// parseOrdered reads one JSON value from dec, keeping objects' field order.
func parseOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		var obj object
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := parseOrdered(dec)
			if err != nil {
				return nil, err
			}
			obj = append(obj, field{key: fmt.Sprint(key), value: v})
		}
		_, err = dec.Token()
		return obj, err
	default: // '['
		arr := []any{}
		for dec.More() {
			v, err := parseOrdered(dec)
			if err != nil {
				return nil, err
			}
			arr = append(arr, v)
		}
		_, err = dec.Token()
		return arr, err
	}
}

// writeFields writes obj's fields, one a line; first is the prefix of the
// first line (the "- " of a list item), after it indent.
func writeFields(w io.Writer, obj object, indent, first string) {
	for i, f := range obj {
		lead := indent
		if i == 0 && first != "" {
			lead = indent[:len(indent)-len(first)] + first
		}
		switch v := f.value.(type) {
		case object:
			if len(v) == 0 {
				fmt.Fprintf(w, "%s%s:\t-\n", lead, f.key)
				continue
			}
			fmt.Fprintf(w, "%s%s:\n", lead, f.key)
			writeFields(w, v, indent+"  ", "")
		case []any:
			if allScalars(v) {
				cells := make([]string, len(v))
				for j, x := range v {
					cells[j] = scalar(x)
				}
				fmt.Fprintf(w, "%s%s:\t%s\n", lead, f.key, orDash(strings.Join(cells, ", ")))
				continue
			}
			fmt.Fprintf(w, "%s%s:\n", lead, f.key)
			for _, x := range v {
				if o, ok := x.(object); ok && len(o) > 0 {
					writeFields(w, o, indent+"    ", "- ")
				} else {
					fmt.Fprintf(w, "%s  - %s\n", indent, scalar(x))
				}
			}
		default:
			fmt.Fprintf(w, "%s%s:\t%s\n", lead, f.key, scalar(v))
		}
	}
}

func allScalars(v []any) bool {
	for _, x := range v {
		switch x.(type) {
		case object, []any:
			return false
		}
	}
	return true
}

// scalar is a JSON scalar as text; null is "-".
func scalar(v any) string {
	if v == nil {
		return "-"
	}
	return orDash(printable(fmt.Sprint(v)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printable replaces control characters, so a name a server sent cannot
// move the cursor or end a line in the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// yesNo is a flag in a table.
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
