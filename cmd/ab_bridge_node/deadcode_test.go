package main

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// reflectMethodAllowed are the packages whose code may reach reflect's
// Method or MethodByName with an argument the linker cannot see. Any such
// call makes the linker keep every exported method of every reachable type:
// expr's does, and costs the node 3.4 MB of its 21 MB of text (a build
// against a copy of expr without those calls links 17.9 MB), resident pages
// the RSS goal counts. expr has no way to turn it off yet; reflect's own
// helpers are marked because they call Method.
var reflectMethodAllowed = []string{"github.com/expr-lang/expr", "reflect"}

// TestOnlyExprKeepsEveryMethod links the node with -dumpdep and fails when
// a package besides reflectMethodAllowed's reaches a reflective method
// lookup: a new dependency (text/template is the usual one) that would
// quietly grow the binary by megabytes.
func TestOnlyExprKeepsEveryMethod(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var deps bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags=-dumpdep", "-o", filepath.Join(t.TempDir(), "ab_bridge_node"), ".")
	cmd.Stderr = &deps
	require.NoError(t, cmd.Run(), "go build -ldflags=-dumpdep: %s", tail(deps.String(), 2000))

	marked := reflectMethodCallers(deps.Bytes())
	require.NotEmpty(t, marked, "no <ReflectMethod> mark at all: -dumpdep's output changed, or expr left (then drop it from reflectMethodAllowed)")
	var others []string
	for _, sym := range marked {
		pkg := symbolPackage(sym)
		if !slices.ContainsFunc(reflectMethodAllowed, func(p string) bool { return pkg == p || strings.HasPrefix(pkg, p+"/") }) {
			others = append(others, sym)
		}
	}
	require.Empty(t, others, "these reach reflect's Method/MethodByName with a non-constant argument, which keeps every exported method in the binary")
}

// reflectMethodCallers are the symbols -dumpdep marks <ReflectMethod>, once
// each. Its lines read "from -> to", the mark after the symbol it is on.
func reflectMethodCallers(dump []byte) []string {
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(dump))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for i := 1; i < len(f); i++ {
			if f[i] == "<ReflectMethod>" && !seen[f[i-1]] {
				seen[f[i-1]] = true
				out = append(out, f[i-1])
			}
		}
	}
	return out
}

// symbolPackage is the import path a linker symbol belongs to:
// "type:*a/b/c.T" and "a/b/c.(*T).M" are both in "a/b/c".
func symbolPackage(sym string) string {
	sym = strings.TrimLeft(strings.TrimPrefix(sym, "type:"), "*")
	slash := strings.LastIndex(sym, "/")
	if dot := strings.Index(sym[slash+1:], "."); dot >= 0 {
		return sym[:slash+1+dot]
	}
	return sym
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func TestReadingDumpdep(t *testing.T) {
	dump := "main.main -> a/b/c.(*T).M\n" +
		"github.com/expr-lang/expr/builtin.get <ReflectMethod> -> reflect.Value.MethodByName\n" +
		"github.com/expr-lang/expr/builtin.get <ReflectMethod> -> go:string.\"x\"\n" +
		"vm.(*VM).Run -> example.com/x/runtime.FetchMethod <ReflectMethod>\n"
	require.Equal(t, []string{"github.com/expr-lang/expr/builtin.get", "example.com/x/runtime.FetchMethod"},
		reflectMethodCallers([]byte(dump)))

	for sym, pkg := range map[string]string{
		"github.com/expr-lang/expr/checker/nature.(*Nature).All": "github.com/expr-lang/expr/checker/nature",
		"type:*github.com/expr-lang/expr/checker/nature.Nature":  "github.com/expr-lang/expr/checker/nature",
		"reflect.(*rtype).Methods":                               "reflect",
		"reflect.Value.Methods.func1":                            "reflect",
		"text/template.(*state).evalField":                       "text/template",
		"gopkg.in/yaml%2ev3.(*decoder).unmarshal":                "gopkg.in/yaml%2ev3",
	} {
		require.Equal(t, pkg, symbolPackage(sym), sym)
	}
}
