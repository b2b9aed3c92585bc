package portaltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxBody is the contract's body limit: 1 MiB.
const maxBody = 1 << 20

// fieldError names the JSON path of the first bad field.
type fieldError struct {
	Path string
	Msg  string
}

func (e *fieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func ferr(path, format string, args ...any) *fieldError {
	return &fieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// closedObject marks a struct whose JSON object refuses unknown fields
// (`additionalProperties: false`).
type closedObject interface{ additionalPropertiesFalse() }

var (
	closedType = reflect.TypeFor[closedObject]()
	timeType   = reflect.TypeFor[time.Time]()
)

// decodeStrict decodes data into v (a pointer to a struct). Structure is
// checked by the Go type: `req:"1"` fields must be present, only `null:"1"`
// fields accept null, types must match exactly, and unknown fields are refused
// on closed objects (every object when allClosed). Keys match exactly, unlike
// encoding/json. The error is a *fieldError naming the JSON path.
func decodeStrict(data []byte, v any, allClosed bool) error {
	// encoding/json would replace each invalid byte with U+FFFD and go on:
	// a body is refused instead of being silently changed.
	if !utf8.Valid(data) {
		return ferr("", "not valid JSON: the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		if errors.Is(err, io.EOF) {
			return ferr("", "body is empty; a JSON object is required")
		}
		return ferr("", "not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ferr("", "not valid JSON: data after the top-level value")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic("portaltest: decodeStrict needs a non-nil pointer")
	}
	d := decoder{allClosed: allClosed}
	return d.value("", x, rv.Elem())
}

type decoder struct{ allClosed bool }

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d decoder) value(path string, x any, rv reflect.Value) error {
	t := rv.Type()
	if t == timeType {
		s, ok := x.(string)
		if !ok {
			return ferr(path, "must be a date-time string")
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return ferr(path, "must be an RFC 3339 date-time")
		}
		rv.Set(reflect.ValueOf(tm))
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if x == nil {
			rv.SetZero()
			return nil
		}
		p := reflect.New(t.Elem())
		if err := d.value(path, x, p.Elem()); err != nil {
			return err
		}
		rv.Set(p)
		return nil
	case reflect.String:
		s, ok := x.(string)
		if !ok {
			return ferr(path, "must be a string")
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := x.(bool)
		if !ok {
			return ferr(path, "must be a boolean")
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, ok := x.(json.Number)
		if !ok {
			return ferr(path, "must be an integer")
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			f, ferr2 := strconv.ParseFloat(string(n), 64)
			if ferr2 != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
				return ferr(path, "must be an integer")
			}
			i = int64(f)
		}
		rv.SetInt(i)
	case reflect.Float64:
		n, ok := x.(json.Number)
		if !ok {
			return ferr(path, "must be a number")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return ferr(path, "must be a number")
		}
		rv.SetFloat(f)
	case reflect.Slice:
		arr, ok := x.([]any)
		if !ok {
			return ferr(path, "must be an array")
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			if err := d.value(fmt.Sprintf("%s[%d]", path, i), e, s.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(s)
	case reflect.Struct:
		obj, ok := x.(map[string]any)
		if !ok {
			return ferr(path, "must be an object")
		}
		return d.object(path, obj, rv)
	default:
		panic("portaltest: unsupported kind " + t.Kind().String())
	}
	return nil
}

func (d decoder) object(path string, obj map[string]any, rv reflect.Value) error {
	t := rv.Type()
	known := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		known[name] = true
		x, present := obj[name]
		p := join(path, name)
		if !present {
			if f.Tag.Get("req") == "1" {
				return ferr(p, "is required")
			}
			continue
		}
		if x == nil && f.Tag.Get("null") != "1" {
			return ferr(p, "must not be null")
		}
		if err := d.value(p, x, rv.Field(i)); err != nil {
			return err
		}
	}
	if d.allClosed || t.Implements(closedType) {
		var unknown []string
		for k := range obj {
			if !known[k] {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return ferr(join(path, unknown[0]), "unknown field")
		}
	}
	return nil
}

// Shared value checks.

var (
	reMSN         = regexp.MustCompile(`^\d{4,10}$`)
	reIdemKey     = regexp.MustCompile(`^[a-zA-Z0-9-]{1,50}$`)
	reBusinessID  = regexp.MustCompile(`^[\d-]{4,50}$`)
	rePhone       = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	reUUID        = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reCountry     = regexp.MustCompile(`^[A-Z]{2}$`)
	reSubKey      = regexp.MustCompile(`^[0-9a-f]{32}$`)
	reMCC         = regexp.MustCompile(`^[0-9]{4}$`)
	rePercentage  = regexp.MustCompile(`^(10|[1-9])0$`)
	reBankAccount = regexp.MustCompile(`^\d{9,34}$`)
)

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// checkLen checks a length in code points.
func checkLen(path, s string, minLen, maxLen int) *fieldError {
	if !utf8.ValidString(s) {
		return ferr(path, "must be valid UTF-8")
	}
	n := runeLen(s)
	if n < minLen {
		if minLen == 1 {
			return ferr(path, "must not be empty")
		}
		return ferr(path, "must be at least %d characters", minLen)
	}
	if maxLen > 0 && n > maxLen {
		return ferr(path, "must be at most %d characters", maxLen)
	}
	return nil
}

// checkName applies the contract's rule for names: no leading or trailing
// Unicode space and no control character.
func checkName(path, s string, maxLen int) *fieldError {
	if e := checkLen(path, s, 1, maxLen); e != nil {
		return e
	}
	r, _ := utf8.DecodeRuneInString(s)
	l, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(r) || unicode.IsSpace(l) {
		return ferr(path, "must not start or end with space")
	}
	for _, c := range s {
		if unicode.IsControl(c) {
			return ferr(path, "must not contain control characters")
		}
	}
	return nil
}

func checkPattern(path, s string, re *regexp.Regexp) *fieldError {
	if !re.MatchString(s) {
		return ferr(path, "must match %s", re.String())
	}
	return nil
}

func checkEnum(path, s string, values ...string) *fieldError {
	for _, v := range values {
		if s == v {
			return nil
		}
	}
	return ferr(path, "must be one of %s", strings.Join(values, ", "))
}

// firstErr returns the first non-nil error.
func firstErr(errs ...*fieldError) *fieldError {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
