package spikes

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The reference SDK reads a mapping entry with Python's str(), float(),
// int() and bool(). These functions give the same answers on the values a
// YAML or JSON mapping file holds, which are, as decoded here: nil, bool,
// string, *big.Int (an integer: Python's are unbounded), float64, []any and
// map[string]any. A conversion Python refuses (it raises, and the SDK with
// it) returns a message instead.

// pyTruthy is Python's bool(v): the SDK's `a or b` and `bool(x)`.
func pyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case *big.Int:
		return x.Sign() != 0
	case float64:
		return x != 0 // NaN is true in Python too
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// pyStr is Python's str(v) for the scalars; a list or a map, which Python
// would spell as its repr, is refused: no population or channel is named so.
func pyStr(v any) (string, string) {
	switch x := v.(type) {
	case nil:
		return "None", ""
	case bool:
		if x {
			return "True", ""
		}
		return "False", ""
	case *big.Int:
		return x.String(), ""
	case float64:
		return pyFloatRepr(x), ""
	case string:
		return x, ""
	}
	return "", "must be a string or a number, got " + pyTypeName(v)
}

// pyFloatRepr is Python's repr of a float: the shortest digits that read
// back, fixed notation for decimal exponents -4 to 15 and always with a
// fraction there, scientific otherwise with a two-digit exponent at least.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	mant, expText, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	for len(digits) < exp+1 {
		digits += "0"
	}
	frac := digits[exp+1:]
	if frac == "" {
		frac = "0"
	}
	return sign + digits[:exp+1] + "." + frac
}

// pyFloat is Python's float(v).
func pyFloat(v any) (float64, string) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, ""
		}
		return 0, ""
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		if math.IsInf(f, 0) {
			return 0, "the integer " + x.String() + " is too large for a float"
		}
		return f, ""
	case float64:
		return x, ""
	case string:
		if f, ok := pyParseFloat(x); ok {
			return f, ""
		}
		return 0, fmt.Sprintf("the string %q is not a number", x)
	}
	return 0, "must be a number, got " + pyTypeName(v)
}

// pyInt is Python's int(v), saturated to ±limit (the SDK only ever clips
// the result to [1, bits in a row]).
func pyInt(v any, limit int) (int, string) {
	var n *big.Int
	switch x := v.(type) {
	case bool:
		n = big.NewInt(0)
		if x {
			n.SetInt64(1)
		}
	case *big.Int:
		n = x
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Sprintf("%s cannot be an integer", pyFloatRepr(x))
		}
		n, _ = new(big.Float).SetFloat64(math.Trunc(x)).Int(nil)
	case string:
		var ok bool
		if n, ok = pyParseInt(x); !ok {
			return 0, fmt.Sprintf("the string %q is not an integer", x)
		}
	default:
		return 0, "must be an integer, got " + pyTypeName(v)
	}
	lim := big.NewInt(int64(limit))
	switch {
	case n.Cmp(lim) > 0:
		return limit, ""
	case n.Cmp(lim.Neg(lim)) < 0:
		return -limit, ""
	}
	return int(n.Int64()), ""
}

var (
	pyFloatSyntax   = regexp.MustCompile(`^[+-]?(([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.?)([eE][+-]?[0-9](_?[0-9])*)?$`)
	pyFloatSpecials = regexp.MustCompile(`^(?i)[+-]?(inf|infinity|nan)$`)
	pyIntSyntax     = regexp.MustCompile(`^[+-]?[0-9](_?[0-9])*$`)
)

// pyParseFloat is float() of a string: blanks around, any Unicode decimal
// digits, underscores between digits, inf, infinity and nan in any case.
func pyParseFloat(s string) (float64, bool) {
	s = asciiDigits(pyStrip(s))
	switch {
	case pyFloatSpecials.MatchString(s):
		neg := s[0] == '-'
		if strings.HasSuffix(strings.ToLower(s), "nan") {
			return math.NaN(), true
		}
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case pyFloatSyntax.MatchString(s):
		// A number too large reads as ±inf and too small as 0, as in Python.
		f, _ := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
		return f, true
	}
	return 0, false
}

// pyParseInt is int() of a string in base 10.
func pyParseInt(s string) (*big.Int, bool) {
	s = asciiDigits(pyStrip(s))
	if !pyIntSyntax.MatchString(s) {
		return nil, false
	}
	return new(big.Int).SetString(strings.TrimPrefix(strings.ReplaceAll(s, "_", ""), "+"), 10)
}

// pyStrip is Python's str.strip(): its whitespace is Go's plus the four
// separators U+001C to U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}

// asciiDigits turns every Unicode decimal digit into its ASCII one, as
// Python does before reading a number. Decimal digits come in runs of ten
// from zero (a Unicode stability rule), so a digit's value is its distance
// from the start of its run, modulo ten.
func asciiDigits(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r > unicode.MaxASCII && unicode.IsDigit(r) }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r > unicode.MaxASCII && unicode.IsDigit(r) {
			start := r
			for unicode.IsDigit(start - 1) {
				start--
			}
			r = '0' + (r-start)%10
		}
		b.WriteRune(r)
	}
	return b.String()
}

func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case *big.Int:
		return x.String()
	case float64:
		return pyFloatRepr(x)
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
