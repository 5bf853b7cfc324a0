package policy

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/abbridge/ab_bridge/internal/yamlfile"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"
)

// extraFunctions are callable in expressions beside expr's built-ins
// (abs, min, max, floor, ceil, round, ...).
var extraFunctions = map[string]struct {
	fn  func(params ...any) (any, error)
	sig any
}{
	"clamp": {floatFunc(func(x []float64) float64 { return math.Min(math.Max(x[0], x[1]), x[2]) }), new(func(float64, float64, float64) float64)},
	"sqrt":  {floatFunc(func(x []float64) float64 { return math.Sqrt(x[0]) }), new(func(float64) float64)},
	"exp":   {floatFunc(func(x []float64) float64 { return math.Exp(x[0]) }), new(func(float64) float64)},
	"log":   {floatFunc(func(x []float64) float64 { return math.Log(x[0]) }), new(func(float64) float64)},
	"tanh":  {floatFunc(func(x []float64) float64 { return math.Tanh(x[0]) }), new(func(float64) float64)},
	"hypot": {floatFunc(func(x []float64) float64 { return math.Hypot(x[0], x[1]) }), new(func(float64, float64) float64)},
}

// floatFunc adapts a function of numbers to expr's calling convention; the
// checker has already fixed the number of arguments, and integers are
// accepted as numbers.
func floatFunc(f func([]float64) float64) func(params ...any) (any, error) {
	return func(params ...any) (any, error) {
		x := make([]float64, len(params))
		for i, p := range params {
			switch v := p.(type) {
			case float64:
				x[i] = v
			case int:
				x[i] = float64(v)
			default:
				return nil, fmt.Errorf("argument %d is %T, want a number", i+1, p)
			}
		}
		return f(x), nil
	}
}

// expression is a compiled expression and the environment it runs in. The
// environment map is reused every cycle: only the names the expression uses
// are refreshed.
type expression struct {
	program *vm.Program
	uses    []*signal // the signals the expression names, sorted by name
	env     map[string]any
	machine vm.VM
	series  map[string][]float64 // per-timestep values of array signals
}

// newEnv is the environment expressions are type-checked against: every
// signal a float64, cycle and (per timestep) t and T integers.
func newEnv(sigs map[string]*signal, perStep bool) map[string]any {
	env := map[string]any{"cycle": 0, "elapsed": 0.0}
	if perStep {
		env["t"], env["T"] = 0, 0
	}
	for name := range sigs {
		env[name] = 0.0
	}
	return env
}

// compileExpression compiles src once, at load, to a float64 result. A
// compile error is reported at the file line where it is.
func compileExpression(l *located, src string, sigs map[string]*signal, perStep bool, path []any) (*expression, bool) {
	env := newEnv(sigs, perStep)
	opts := []expr.Option{expr.Env(env), expr.AsFloat64()}
	for name, f := range extraFunctions {
		opts = append(opts, expr.Function(name, f.fn, f.sig))
	}
	program, err := expr.Compile(src, opts...)
	if err != nil {
		line, msg := expressionErrorAt(yamlfile.NodeAt(l.Root, path...), err)
		if line == 0 {
			line = yamlfile.LineOf(l.Root, path...)
		}
		l.AddAt(line, fmt.Sprintf("%s: %s", pathString(path), msg))
		return nil, false
	}
	e := &expression{program: program, env: env}
	for _, name := range identifiers(program) {
		if s, ok := sigs[name]; ok {
			e.uses = append(e.uses, s)
			if s.source == fromArrayTopic {
				if e.series == nil {
					e.series = map[string][]float64{}
				}
				e.series[name] = nil
			}
		}
	}
	return e, true
}

// expressionErrorAt places an expr error in the file: the expression's own
// line numbers count from the line its text starts on (the line after the
// key for a | or > block).
func expressionErrorAt(n *yaml.Node, err error) (int, string) {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return lineStart(n), "expression: " + err.Error()
	}
	msg := fmt.Sprintf("expression: %s (column %d)", fe.Message, fe.Column+1)
	start := lineStart(n)
	if start == 0 || fe.Line < 1 {
		return start, msg
	}
	return start + fe.Line - 1, msg
}

func lineStart(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

// identifiers lists the names an expression refers to, sorted, once each.
func identifiers(p *vm.Program) []string {
	c := &identCollector{seen: map[string]bool{}}
	node := p.Node()
	ast.Walk(&node, c)
	out := make([]string, 0, len(c.seen))
	for n := range c.seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type identCollector struct{ seen map[string]bool }

func (c *identCollector) Visit(node *ast.Node) {
	if id, ok := (*node).(*ast.IdentifierNode); ok {
		c.seen[id.Value] = true
	}
}

// prepare loads this cycle's signal values into the environment; T > 0
// also resamples array signals to T.
func (e *expression) prepare(cs *cycleState, T int) error {
	e.env["cycle"] = int(cs.in.Cycle)
	e.env["elapsed"] = cs.elapsed
	for _, s := range e.uses {
		if s.source == fromArrayTopic {
			buf := e.series[s.name]
			if cap(buf) < T {
				buf = make([]float64, T)
			}
			buf = buf[:T]
			if err := s.series(cs, buf); err != nil {
				return err
			}
			e.series[s.name] = buf
			continue
		}
		v, err := s.scalar(cs)
		if err != nil {
			return err
		}
		e.env[s.name] = v
	}
	return nil
}

// run evaluates the prepared expression.
func (e *expression) run() (float64, error) {
	out, err := e.machine.Run(e.program, e.env)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			// One line for the log: expr's message carries a source snippet.
			return 0, fmt.Errorf("expression: %s (column %d)", fe.Message, fe.Column+1)
		}
		return 0, fmt.Errorf("expression: %w", err)
	}
	v, ok := out.(float64)
	if !ok {
		return 0, fmt.Errorf("expression gave %T, want a number", out)
	}
	return v, nil
}

// atStep sets the timestep t of T and the array signals' values at t.
func (e *expression) atStep(t, T int) {
	e.env["t"], e.env["T"] = t, T
	for name, buf := range e.series {
		e.env[name] = buf[t]
	}
}

// pathString writes a YAML path the way a user reads it: a.b[0].c.
func pathString(path []any) string {
	s := ""
	for _, p := range path {
		switch k := p.(type) {
		case int:
			s += fmt.Sprintf("[%d]", k)
		default:
			if s != "" {
				s += "."
			}
			s += fmt.Sprint(k)
		}
	}
	return s
}
