package jsonscan

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInteger(t *testing.T) {
	tests := []struct {
		text string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {" 42,", 42, true}, {"-7]", -7, true}, {"999999999999999", 999999999999999, true},
		{"1000000000000000", 0, false}, {"01", 0, false}, {"1.5", 0, false}, {"1e3", 0, false},
		{"-", 0, false}, {"", 0, false}, {"x", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			s := Scanner{Data: []byte(tc.text)}
			v, ok := s.Integer()
			assert.Equal(t, tc.ok, ok)
			if tc.ok {
				assert.Equal(t, tc.want, v)
				var f float64
				assert.NoError(t, json.Unmarshal([]byte(tc.text[:s.Pos]), &f), "what it takes is JSON")
				assert.Equal(t, float64(tc.want), f)
			}
		})
	}
}

func TestStrByteSpace(t *testing.T) {
	tests := []struct {
		text string
		want string
		ok   bool
	}{
		{` "abc" `, "abc", true}, {`""`, "", true}, {`"a\"b"`, "", false}, {`"é"`, "", false},
		{"\"a\nb\"", "", false}, {`"open`, "", false}, {`abc`, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			s := Scanner{Data: []byte(tc.text)}
			v, ok := s.Str()
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, string(v))
		})
	}
	s := Scanner{Data: []byte(" \t\n\r:x")}
	assert.True(t, s.Peek(':'))
	assert.True(t, s.Byte(':'))
	assert.False(t, s.Byte(':'))
	assert.Equal(t, 5, s.Pos, "a failed Byte reads nothing after the white space")
}
