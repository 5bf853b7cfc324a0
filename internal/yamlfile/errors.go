package yamlfile

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is one problem of a YAML file, located in it.
type Error struct {
	File string
	Line int // 0 when the problem has no line
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

var (
	yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFound = regexp.MustCompile(`^field (\S+) not found in type (.+)$`)
)

// DecodeErrors turns a yaml.v3 decoding error into one *Error per problem
// (yaml.v3 collects every type error of a document), joined.
func DecodeErrors(file string, err error) error {
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
				if typ := nf[2]; !strings.HasPrefix(typ, "struct") {
					e.Msg += fmt.Sprintf(" (in %s)", typ[strings.LastIndex(typ, ".")+1:])
				}
			}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// Problems collects the problems of one file, each at the line of a YAML path.
type Problems struct {
	File string
	Root *yaml.Node
	errs []error
}

// Add records a problem at path (map keys as strings, sequence indices as
// ints), or at the deepest part of it that exists.
func (p *Problems) Add(msg string, path ...any) {
	p.errs = append(p.errs, &Error{File: p.File, Line: LineOf(p.Root, path...), Msg: msg})
}

// AddAt records a problem at a known line.
func (p *Problems) AddAt(line int, msg string) {
	p.errs = append(p.errs, &Error{File: p.File, Line: line, Msg: msg})
}

// Errs is every problem recorded, in order.
func (p *Problems) Errs() []error { return p.errs }

// Err joins the problems; nil when there are none.
func (p *Problems) Err() error { return errors.Join(p.errs...) }
