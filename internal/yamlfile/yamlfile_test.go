package yamlfile

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const doc = `a:
  b: 1
  list:
    - x: 1
    - x: 2
c: [3]
`

func TestLineOf(t *testing.T) {
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &root))
	tests := []struct {
		path []any
		want int
	}{
		{nil, 1},
		{[]any{"a"}, 1},
		{[]any{"a", "b"}, 2},
		{[]any{"a", "list", 1}, 5},
		{[]any{"a", "list", 1, "x"}, 5},
		{[]any{"a", "list", 7}, 3}, // the deepest part that exists
		{[]any{"a", "nope"}, 1},
		{[]any{"c", 0}, 6},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, LineOf(&root, tc.path...), "%v", tc.path)
	}
	assert.Equal(t, []string{"b", "list"}, MapKeys(&root, "a"))
	assert.Nil(t, MapKeys(&root, "c"))
	assert.Nil(t, NodeAt(&root, "a", "zz"))
	assert.Equal(t, 0, LineOf(nil, "a"))
}

type inner struct {
	B int `yaml:"b"`
}

type settings struct {
	A inner `yaml:"a"`
}

func TestDecodeErrors(t *testing.T) {
	var v settings
	dec := yaml.NewDecoder(strings.NewReader("a:\n  b: many\n  q: 1\n"))
	dec.KnownFields(true)
	err := DecodeErrors("f.yaml", dec.Decode(&v))
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "f.yaml:2: cannot unmarshal !!str `many` into int\nf.yaml:3: unknown key \"q\" (in inner)", err.Error())

	syntax := DecodeErrors("g.yaml", yaml.Unmarshal([]byte("a: [1\n"), &v))
	assert.Contains(t, syntax.Error(), "g.yaml:")
}

func TestProblems(t *testing.T) {
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(doc), &root))
	p := Problems{File: "p.yaml", Root: &root}
	assert.NoError(t, p.Err())
	p.Add("bad b", "a", "b")
	p.AddAt(9, "late")
	assert.Len(t, p.Errs(), 2)
	assert.EqualError(t, p.Err(), "p.yaml:2: bad b\np.yaml:9: late")
	assert.Equal(t, "p.yaml: whole", (&Error{File: "p.yaml", Msg: "whole"}).Error())
}
