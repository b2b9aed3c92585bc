package salesunit

import (
	"fmt"
	"reflect"
	"strings"
)

// Records with pointer fields print their values: fmt shows a nested pointer
// as an address (0xc000...), which tells a reader of a log nothing.

// String shows every field by name; a nil pointer ("not told") prints <nil>.
func (c Configuration) String() string { return fields(c) }

// String shows every field by name, the addresses' contents included.
func (m Merchant) String() string { return fields(m) }

// String shows every field by name, the Failure's contents included.
func (c Creation) String() string { return fields(c) }

// fields formats a struct as {Name:value ...} like %+v, but shows what a
// pointer field points to (or <nil>) instead of its address.
func fields(v any) string {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	var b strings.Builder
	b.WriteByte('{')
	for i := range rt.NumField() {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(rt.Field(i).Name)
		b.WriteByte(':')
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer {
			if f.IsNil() {
				b.WriteString("<nil>")
				continue
			}
			f = f.Elem()
		}
		fmt.Fprintf(&b, "%+v", f.Interface())
	}
	b.WriteByte('}')
	return b.String()
}
