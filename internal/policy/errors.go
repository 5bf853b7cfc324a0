package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem of a policy file, located in it.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

var notFound = regexp.MustCompile(`^field (\S+) not found in type (.+)$`)

// yamlErrors turns yaml.v3's messages into file:line errors, one per problem.
func yamlErrors(file string, err error) error {
	var te *yaml.TypeError
	msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]error, 0, len(msgs))
	for _, m := range msgs {
		e := &Error{File: file, Msg: m}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			e.Line, _ = strconv.Atoi(sub[1])
			e.Msg = sub[2]
			if nf := notFound.FindStringSubmatch(e.Msg); nf != nil {
				e.Msg = fmt.Sprintf("unknown key %q", nf[1])
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// located collects the problems of one file, each at the line of a YAML path.
type located struct {
	file string
	root *yaml.Node
	errs []error
}

// add records a problem at path (map keys as strings, sequence indices as
// ints), or at the deepest part of it that exists.
func (l *located) add(msg string, path ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: lineOf(l.root, path...), Msg: msg})
}

// addAt records a problem at a known line.
func (l *located) addAt(line int, msg string) {
	l.errs = append(l.errs, &Error{File: l.file, Line: line, Msg: msg})
}

func (l *located) err() error { return errors.Join(l.errs...) }

// lineOf is the line of the key (or sequence item) at path, or of its
// deepest existing ancestor: where a reader looks for the setting.
func lineOf(root *yaml.Node, path ...any) int {
	_, line := walk(root, path...)
	return line
}

// nodeAt is the value node at path, or nil.
func nodeAt(root *yaml.Node, path ...any) *yaml.Node {
	n, _ := walk(root, path...)
	return n
}

// walk follows path from the document's top node; it returns the value node
// (nil if the path does not exist) and the line of the deepest key or item
// reached.
func walk(root *yaml.Node, path ...any) (*yaml.Node, int) {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil {
		return nil, 0
	}
	line := n.Line
	for _, p := range path {
		key, value := child(n, p)
		if value == nil {
			return nil, line
		}
		n, line = value, key.Line
	}
	return n, line
}

// child returns the key and value nodes of p (for a sequence index, the item
// twice).
func child(n *yaml.Node, p any) (key, value *yaml.Node) {
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil, nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return n.Content[i], n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
			return n.Content[k], n.Content[k]
		}
	}
	return nil, nil
}

// mapKeys lists the keys of the mapping node at path, in file order.
func mapKeys(root *yaml.Node, path ...any) []string {
	n := nodeAt(root, path...)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	keys := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}
