package contract

import (
	"bufio"
	"encoding/json"
	"math/big"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Expected results are what Python 3.12's int() gives for the same value.
func TestPyIntAsPython(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string // "" means int() raises
	}{
		{"int literal", json.Number("48"), "48"},
		{"negative zero literal", json.Number("-0"), "0"},
		{"huge literal", json.Number("123456789012345678901234567890"), "123456789012345678901234567890"},
		{"float truncates", json.Number("48.9"), "48"},
		{"negative float toward zero", json.Number("-48.9"), "-48"},
		{"small negative float", json.Number("-0.5"), "0"},
		{"exponent", json.Number("1e3"), "1000"},
		{"float exactly", json.Number("1e300"), "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"},
		{"infinity", json.Number("1e400"), ""},
		{"true", true, "1"},
		{"false", false, "0"},
		{"null", nil, ""},
		{"list", []any{json.Number("1")}, ""},
		{"object", map[string]any{}, ""},
		{"string", "48", "48"},
		{"spaces", " \t48\n", "48"},
		{"vertical tab and form feed", "\v7\f", "7"},
		{"unicode spaces", "\u00a048\u3000", "48"},
		{"file separator is no space", "\x1c48", ""},
		{"plus", "+48", "48"},
		{"minus", "-48", "-48"},
		{"space after sign", "+ 48", ""},
		{"leading zeros", "010", "10"},
		{"underscore", "4_8", "48"},
		{"double underscore", "4__8", ""},
		{"leading underscore", "_48", ""},
		{"trailing underscore", "48_", ""},
		{"arabic-indic", "٤٨", "48"},
		{"fullwidth", "４８", "48"},
		{"mathematical bold", "𝟒𝟖", "48"},
		{"mixed scripts with underscore", "٤_8", "48"},
		{"float string", "48.0", ""},
		{"hex", "0x10", ""},
		{"empty", "", ""},
		{"only spaces", "  ", ""},
		{"only sign", "-", ""},
		{"inner space", "4\u00a08", ""},
		{"nul", "48\x00", ""},
		{"4300 digits", "1" + strings.Repeat("_0", 4299), "1" + strings.Repeat("0", 4299)},
		{"4301 digits", strings.Repeat("0", 4300) + "1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pyInt(tc.v)
			if tc.want == "" {
				require.Error(t, err, "got %v", got)
				assert.ErrorIs(t, err, ErrNotPythonJSON)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.String())
		})
	}
}

func TestPyIntRefusesLostLiteral(t *testing.T) {
	_, err := pyInt(48.0)
	require.ErrorIs(t, err, ErrNotPythonJSON)
}

// testdata/python_int_chars.txt lists, from Python, every decimal digit of
// every script with its value, and every whitespace character int() strips.
func TestPyIntCharactersMatchPython(t *testing.T) {
	f, err := os.Open("testdata/python_int_chars.txt")
	require.NoError(t, err)
	defer f.Close()
	digits, spaces := map[rune]int{}, map[rune]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		require.Len(t, fields, 2, sc.Text())
		if fields[0] == "space" {
			r, err := strconv.ParseUint(fields[1], 16, 32)
			require.NoError(t, err)
			spaces[rune(r)] = true
			continue
		}
		r, err := strconv.ParseUint(fields[0], 16, 32)
		require.NoError(t, err)
		d, err := strconv.Atoi(fields[1])
		require.NoError(t, err)
		digits[rune(r)] = d
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(digits), 600)
	require.Greater(t, len(spaces), 20)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		d, ok := decimalValue(r)
		want, isDigit := digits[r]
		require.Equal(t, isDigit, ok, "U+%04X digit?", r)
		if ok {
			require.Equal(t, want, d, "U+%04X value", r)
		}
		require.Equal(t, spaces[r], pyIntSpace(r), "U+%04X space?", r)
	}
}

func TestFloatToIntIsExact(t *testing.T) {
	n, err := floatToInt(-9007199254740993.0)
	require.NoError(t, err)
	assert.Equal(t, big.NewInt(-9007199254740992), n)
}
