package contract

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode"
)

// pyInt converts a decoded JSON value as the SDK's int(value) does when it
// reads a constant: booleans are 0 and 1, floats are truncated toward zero,
// strings are parsed by pyIntString. null, lists, objects, infinities and
// unparsable strings make int() raise; they are errors here.
func pyInt(v any) (*big.Int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1), nil
		}
		return big.NewInt(0), nil
	case json.Number:
		if isIntLiteral(x) {
			n, ok := new(big.Int).SetString(string(x), 10)
			if !ok {
				return nil, fmt.Errorf("number %q is not an integer: %w", string(x), ErrNotPythonJSON)
			}
			return n, nil
		}
		f, err := parseFloatLiteral(x)
		if err != nil {
			return nil, err
		}
		return floatToInt(f)
	case int:
		return big.NewInt(int64(x)), nil
	case int64:
		return big.NewInt(x), nil
	case *big.Int:
		return new(big.Int).Set(x), nil
	case string:
		return pyIntString(x)
	case float64:
		return nil, fmt.Errorf("number %v lost its literal: decode with contract.DecodeDocument: %w", x, ErrNotPythonJSON)
	}
	return nil, fmt.Errorf("%s is not a number (Python's int() raises): %w", jsonKind(v), ErrNotPythonJSON)
}

// floatToInt truncates toward zero, exactly, as int(float) does.
func floatToInt(f float64) (*big.Int, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("float %v has no integer value (Python's int() raises): %w", f, ErrNotPythonJSON)
	}
	n, _ := big.NewFloat(math.Trunc(f)).Int(nil)
	return n, nil
}

// pyIntString parses s as Python's int(s) does in base 10: surrounding
// whitespace (Unicode's, but of ASCII only space and \t\n\v\f\r), an
// optional sign, then decimal digits of any script, with single
// underscores allowed between digits, at most 4300 digits. "48.0" and
// "0x10" are refused, as int() refuses them.
func pyIntString(s string) (*big.Int, error) {
	bad := func() (*big.Int, error) {
		return nil, fmt.Errorf("%q is not an integer literal (Python's int() raises): %w", s, ErrNotPythonJSON)
	}
	body := strings.TrimFunc(s, pyIntSpace)
	var digits strings.Builder
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	if body == "" {
		return bad()
	}
	prevUnderscore := true // a leading underscore is refused
	for _, r := range body {
		if r == '_' {
			if prevUnderscore {
				return bad()
			}
			prevUnderscore = true
			continue
		}
		d, ok := decimalValue(r)
		if !ok {
			return bad()
		}
		digits.WriteByte(byte('0' + d))
		prevUnderscore = false
	}
	if prevUnderscore {
		return bad()
	}
	if digits.Len() > maxIntDigits {
		return nil, fmt.Errorf("%q has %d digits, beyond Python's limit of %d: %w", s, digits.Len(), maxIntDigits, ErrNotPythonJSON)
	}
	n, _ := new(big.Int).SetString(digits.String(), 10)
	if neg {
		n.Neg(n)
	}
	return n, nil
}

// pyIntSpace is the whitespace int() strips: CPython maps every non-ASCII
// White_Space character to a space, but of ASCII only these count.
func pyIntSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return r > unicode.MaxASCII && unicode.Is(unicode.White_Space, r)
}

// decimalValue is the value of a decimal digit of any script (Unicode
// category Nd). Unicode lays every such digit out in runs of ten from 0 to
// 9, so the value is the position within the run.
func decimalValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if r <= unicode.MaxASCII || !unicode.IsDigit(r) {
		return 0, false
	}
	start := r
	for start > 0 && unicode.IsDigit(start-1) {
		start--
	}
	return int(r-start) % 10, true
}
