package salesunit

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"
	"unicode/utf8"
)

// Vipps' Management answers are looser than its schema in places; decoding
// accepts what Vipps actually sends rather than failing a whole call.

// lenientMSN decodes an msn sent as a JSON string or as a number (Vipps' own
// guide shows numbers in sales unit lists).
type lenientMSN string

func (m *lenientMSN) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b):
		// The decoder has checked the JSON: with no escape and valid UTF-8, the text is the value.
		*m = lenientMSN(b[1 : len(b)-1])
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*m = lenientMSN(s)
		return nil
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return errors.New("msn: want a string or a whole number, got " + string(b))
		}
	}
	if len(b) == 0 {
		return errors.New("msn: empty")
	}
	*m = lenientMSN(b)
	return nil
}

// Timestamp is a date-time in a Management answer. Vipps' answers have carried
// dates that do not parse (its own example is 2023-31-12T…): such a value
// leaves Time zero and keeps the text in Raw, so one bad date does not fail the
// whole call. Raw is always the text as sent ("" when absent or null).
type Timestamp struct {
	Time time.Time // zero when absent or not a valid RFC 3339 date-time
	Raw  string
}

// Valid reports whether Raw parsed into Time.
func (t Timestamp) Valid() bool { return !t.Time.IsZero() }

// String is Time in RFC 3339, or the raw text when it did not parse.
func (t Timestamp) String() string {
	if t.Valid() {
		return t.Time.Format(time.RFC3339Nano)
	}
	return t.Raw
}

// UnmarshalJSON never fails on a value that is not a date: it keeps it in Raw.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	*t = Timestamp{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		t.Raw = string(b) // a number or an object where a date belongs: keep it
		return nil
	}
	t.Raw = s
	if tm, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = tm
	}
	return nil
}

// MarshalJSON writes the time in RFC 3339, or the raw text when it did not
// parse, so a record round-trips.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.Valid() {
		return json.Marshal(t.Time.Format(time.RFC3339Nano))
	}
	if t.Raw == "" {
		return []byte("null"), nil
	}
	return json.Marshal(t.Raw)
}
