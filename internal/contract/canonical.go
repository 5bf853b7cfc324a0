package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The contract digest must be the one the reference Python SDK computes, so
// this file writes JSON exactly as Python's json.dumps does (document.go
// reads it as json.loads does).

// CanonicalJSON writes v byte for byte as Python's
// json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
// writes the same value, UTF-8 encoded.
//
// v is built from nil, bool, string, json.Number (as DecodeDocument keeps
// numbers), int, int64, *big.Int, []any and map[string]any. A float64 is
// refused: it no longer says whether the source wrote 1 or 1.0, which
// Python tells apart.
func CanonicalJSON(v any) ([]byte, error) {
	e := pyEncoder{sortKeys: true, comma: ",", colon: ":"}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// indentedJSON writes v as Python's json.dumps(v, indent=2,
// ensure_ascii=False) does. Keys of a map[string]any are sorted, since a Go
// map has no order; the members of an object keep theirs.
func indentedJSON(v any) ([]byte, error) {
	e := pyEncoder{indent: "  ", comma: ",", colon: ": "}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// object is a JSON object whose members keep the order they are given in,
// as a Python dict keeps insertion order.
type object []member

type member struct {
	key   string
	value any
}

// pyEncoder writes values as Python's json module does.
type pyEncoder struct {
	buf      []byte
	sortKeys bool
	indent   string // "" writes everything on one line
	comma    string
	colon    string
}

func (e *pyEncoder) value(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("value nests deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case string:
		return e.string(x)
	case json.Number:
		return e.number(x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case *big.Int:
		e.buf = x.Append(e.buf, 10)
	case []any:
		return e.list(x, depth)
	case map[string]any:
		obj := make(object, 0, len(x))
		for k, m := range x {
			obj = append(obj, member{k, m})
		}
		slices.SortFunc(obj, func(a, b member) int { return strings.Compare(a.key, b.key) })
		return e.object(obj, depth)
	case object:
		if e.sortKeys {
			x = slices.Clone(x)
			slices.SortStableFunc(x, func(a, b member) int { return strings.Compare(a.key, b.key) })
		}
		return e.object(x, depth)
	case float64, float32:
		return fmt.Errorf("number %v lost its literal (1 or 1.0?): decode with contract.DecodeDocument: %w", x, ErrNotPythonJSON)
	default:
		return fmt.Errorf("cannot write a %T as JSON: %w", v, ErrNotPythonJSON)
	}
	return nil
}

func (e *pyEncoder) list(l []any, depth int) error {
	if len(l) == 0 {
		e.buf = append(e.buf, "[]"...)
		return nil
	}
	e.buf = append(e.buf, '[')
	for i, item := range l {
		if i > 0 {
			e.buf = append(e.buf, e.comma...)
		}
		e.newline(depth + 1)
		if err := e.value(item, depth+1); err != nil {
			return err
		}
	}
	e.newline(depth)
	e.buf = append(e.buf, ']')
	return nil
}

// object writes members in the order given; Go strings compare by UTF-8
// bytes, which for valid UTF-8 is Python's code point order.
func (e *pyEncoder) object(obj object, depth int) error {
	if len(obj) == 0 {
		e.buf = append(e.buf, "{}"...)
		return nil
	}
	e.buf = append(e.buf, '{')
	for i, m := range obj {
		if i > 0 {
			e.buf = append(e.buf, e.comma...)
		}
		e.newline(depth + 1)
		if err := e.string(m.key); err != nil {
			return err
		}
		e.buf = append(e.buf, e.colon...)
		if err := e.value(m.value, depth+1); err != nil {
			return fmt.Errorf("%q: %w", m.key, err)
		}
	}
	e.newline(depth)
	e.buf = append(e.buf, '}')
	return nil
}

func (e *pyEncoder) newline(depth int) {
	if e.indent == "" {
		return
	}
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.indent...)
	}
}

// string escapes as Python's json with ensure_ascii=False: only the quote,
// the backslash and C0 controls; DEL, U+2028/2029 and all else stay raw.
func (e *pyEncoder) string(s string) error {
	if !utf8.ValidString(s) {
		if r, ok := loneSurrogate(s); ok {
			return fmt.Errorf("string %q holds the lone surrogate U+%04X, which Python cannot encode as UTF-8: %w", s, r, ErrNotPythonJSON)
		}
		return fmt.Errorf("string %q is not valid UTF-8: %w", s, ErrNotPythonJSON)
	}
	const hexDigits = "0123456789abcdef"
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"', '\\':
			e.buf = append(e.buf, '\\', c)
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		case '\b':
			e.buf = append(e.buf, '\\', 'b')
		case '\f':
			e.buf = append(e.buf, '\\', 'f')
		default:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
	return nil
}

// number writes a literal as Python writes the int or float json.loads made
// of it: "-0" is the int 0, floats are repr'd from their double.
func (e *pyEncoder) number(n json.Number) error {
	s := string(n)
	if isIntLiteral(n) {
		if _, ok := new(big.Int).SetString(s, 10); !ok {
			return fmt.Errorf("number %q is not a JSON integer: %w", s, ErrNotPythonJSON)
		}
		if digits := strings.TrimPrefix(s, "-"); len(digits) > maxIntDigits {
			return fmt.Errorf("integer of %d digits exceeds Python's limit of %d: %w", len(digits), maxIntDigits, ErrNotPythonJSON)
		}
		if strings.Trim(s, "-0") == "" {
			s = "0"
		}
		e.buf = append(e.buf, s...)
		return nil
	}
	f, err := parseFloatLiteral(n)
	if err != nil {
		return err
	}
	e.buf = appendPyFloat(e.buf, f)
	return nil
}

// parseFloatLiteral reads a float literal as Python's float() does: a
// literal too large for a double becomes an infinity, not an error.
func parseFloatLiteral(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	var numErr *strconv.NumError
	if err != nil && !(errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange)) {
		return 0, fmt.Errorf("number %q: %w", string(n), ErrNotPythonJSON)
	}
	return f, nil
}

// appendPyFloat writes f as Python's json writes a float: repr(f) (the
// shortest digits that read back as f, positional from 1e-4 up to but not
// including 1e16, otherwise with an exponent of at least two digits), and
// Infinity, -Infinity, NaN for the non-finite ones.
func appendPyFloat(buf []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	}
	// Shortest round-trip digits "d.ddde±XX"; both Go and CPython pick the
	// shortest string that reads back exactly, the nearest if several.
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	if sci[0] == '-' {
		buf = append(buf, '-')
		sci = sci[1:]
	}
	mant, expPart, _ := strings.Cut(sci, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expPart)
	if exp < -4 || exp >= 16 {
		buf = append(buf, digits[0])
		if len(digits) > 1 {
			buf = append(buf, '.')
			buf = append(buf, digits[1:]...)
		}
		buf = append(buf, 'e')
		if exp < 0 {
			buf = append(buf, '-')
			exp = -exp
		} else {
			buf = append(buf, '+')
		}
		if exp < 10 {
			buf = append(buf, '0')
		}
		return strconv.AppendInt(buf, int64(exp), 10)
	}
	point := exp + 1 // digits before the decimal point
	switch {
	case point <= 0:
		buf = append(buf, "0."...)
		buf = append(buf, strings.Repeat("0", -point)...)
		buf = append(buf, digits...)
	case point >= len(digits):
		buf = append(buf, digits...)
		buf = append(buf, strings.Repeat("0", point-len(digits))...)
		buf = append(buf, ".0"...)
	default:
		buf = append(buf, digits[:point]...)
		buf = append(buf, '.')
		buf = append(buf, digits[point:]...)
	}
	return buf
}

// jsonKind names a decoded value's JSON type for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64, int, int64, *big.Int:
		return "a number"
	case []any:
		return "a list"
	case map[string]any, object:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
