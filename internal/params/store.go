package params

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Separator joins the parts of a parameter name ("joints.elbow.max_velocity"),
// as rcl flattens nested parameter files and as ListParameters splits them.
const Separator = "."

// DepthRecursive asks List for every level below the prefixes
// (rcl_interfaces/srv/ListParameters DEPTH_RECURSIVE).
const DepthRecursive = 0

// Descriptor is what rcl_interfaces/msg/ParameterDescriptor says of one
// parameter.
type Descriptor struct {
	Name        string
	Type        Type
	Description string
	// Constraints is plain English for what the type does not say
	// ("one of debug, info, warn, error").
	Constraints string
	ReadOnly    bool
}

// Definition declares one parameter.
type Definition struct {
	Descriptor
	// Value is the value it starts with, unless an override names it.
	Value Value
	// Check, when set, refuses a value of the right type with a reason
	// (a range, a set of words).
	Check func(Value) error
	// Apply, when set, hands an accepted change to whoever uses it; its
	// error refuses the change and the old value stays.
	Apply func(Value) error
}

// Param is a named value, as sets and events carry them.
type Param struct {
	Name  string
	Value Value
}

// Result is the outcome of one set (rcl_interfaces/msg/SetParametersResult).
type Result struct {
	Successful bool
	Reason     string
}

// Event is what a change announces (rcl_interfaces/msg/ParameterEvent
// without node and stamp, which the ROS side adds).
type Event struct {
	New, Changed, Deleted []Param
}

// Empty reports whether the event announces nothing.
func (e Event) Empty() bool { return len(e.New)+len(e.Changed)+len(e.Deleted) == 0 }

// Store holds the declared parameters. Its methods may be called from any
// goroutine; sets are serialised, so Apply hooks never run concurrently.
type Store struct {
	mu     sync.Mutex
	params map[string]*entry
	names  []string // sorted
}

type entry struct {
	def   Definition
	value Value
}

// New declares defs. overrides are the values given on the command line
// (--params-file, -p, as yaml.v3 decoded them): each one that names a
// writable parameter becomes its initial value, checked as a set would be,
// and a bad one is an error (rclcpp refuses to start then too). Read-only
// parameters mirror what is in effect, so their definitions' values stand;
// overrides for names not declared are ignored, as rclcpp ignores them
// without allow_undeclared_parameters. Apply hooks are not called for
// initial values: the caller builds its state from them.
func New(defs []Definition, overrides map[string]any) (*Store, error) {
	s := &Store{params: map[string]*entry{}}
	var errs []error
	for _, d := range defs {
		if d.Name == "" || d.Type == TypeNotSet {
			return nil, fmt.Errorf("params: definition %q needs a name and a type", d.Name)
		}
		if _, dup := s.params[d.Name]; dup {
			return nil, fmt.Errorf("params: %q declared twice", d.Name)
		}
		e := &entry{def: d, value: d.Value.clone()}
		if e.value.Type != d.Type {
			return nil, fmt.Errorf("params: %q is %s but starts as %s", d.Name, d.Type, e.value.Type)
		}
		if raw, ok := overrides[d.Name]; ok && !d.ReadOnly {
			v, err := FromYAML(raw)
			if err == nil {
				v, err = e.accept(v)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("parameter %q: %w", d.Name, err))
			} else {
				e.value = v
			}
		}
		s.params[d.Name] = e
		s.names = append(s.names, d.Name)
	}
	sort.Strings(s.names)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// accept checks a requested value against the parameter's type and Check,
// and returns it as stored. An integer is taken for a double parameter
// (`ros2 param set … max_velocity 2` sends an integer; rclcpp would refuse
// it, which only ever confuses); nothing else changes type.
func (e *entry) accept(v Value) (Value, error) {
	want := e.def.Type
	switch {
	case v.Type == TypeNotSet:
		return Value{}, fmt.Errorf("cannot be unset: its type is fixed (%s)", want)
	case v.Type == TypeInteger && want == TypeDouble:
		v = Double(float64(v.Int))
	case v.Type != want:
		return Value{}, fmt.Errorf("wrong type: the parameter is %s, the value is %s", want, v.Type)
	}
	if e.def.Check != nil {
		if err := e.def.Check(v); err != nil {
			return Value{}, err
		}
	}
	return v.clone(), nil
}

// Names is every declared name, sorted.
func (s *Store) Names() []string { return slices.Clone(s.names) }

// Value is one parameter's current value.
func (s *Store) Value(name string) (Value, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.params[name]
	if !ok {
		return Value{}, false
	}
	return e.value.clone(), true
}

// Get is the value of each name, in order; a name not declared gets a
// value of type not set, as GetParameters documents.
func (s *Store) Get(names []string) []Value {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Value, len(names))
	for i, n := range names {
		if e, ok := s.params[n]; ok {
			out[i] = e.value.clone()
		}
	}
	return out
}

// Types is the type of each name, in order; not set for names not
// declared, as GetParameterTypes documents.
func (s *Store) Types(names []string) []Type {
	out := make([]Type, len(names))
	for i, n := range names {
		if e, ok := s.params[n]; ok {
			out[i] = e.def.Type
		}
	}
	return out
}

// Describe is the descriptor of each name, in order. When a name is not
// declared it returns none and false: rclcpp and rclpy both answer an
// empty list then rather than guess a descriptor.
func (s *Store) Describe(names []string) ([]Descriptor, bool) {
	out := make([]Descriptor, 0, len(names))
	for _, n := range names {
		e, ok := s.params[n]
		if !ok {
			return nil, false
		}
		out = append(out, e.def.Descriptor)
	}
	return out, true
}

// List is ListParameters: with no prefixes, every name with fewer than
// depth separators (all for DepthRecursive); with prefixes, every name that
// is a prefix or lies below one ("joints" takes "joints.a.max_velocity",
// not "jointsx"), fewer than depth separators below it counting the one
// after the prefix. prefixes is the part before the last separator of each
// name listed, once each. That is how rclcpp and rclpy count depth.
func (s *Store) List(prefixes []string, depth uint64) (names, under []string) {
	deep := func(rest string) bool {
		return depth == DepthRecursive || uint64(strings.Count(rest, Separator)) < depth
	}
	seen := map[string]bool{}
	for _, n := range s.names {
		take := len(prefixes) == 0 && deep(n)
		for _, p := range prefixes {
			if n == p || strings.HasPrefix(n, p+Separator) && deep(n[len(p):]) {
				take = true
				break
			}
		}
		if !take {
			continue
		}
		names = append(names, n)
		if i := strings.LastIndex(n, Separator); i >= 0 && !seen[n[:i]] {
			seen[n[:i]] = true
			under = append(under, n[:i])
		}
	}
	return names, under
}

// Declared announces every parameter as new: the event a node publishes
// when it declares them.
func (s *Store) Declared() Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ev Event
	for _, n := range s.names {
		ev.New = append(ev.New, Param{Name: n, Value: s.params[n].value.clone()})
	}
	return ev
}

// Set is SetParameters: each parameter on its own, in order, with a result
// each. The event names the values that changed.
func (s *Store) Set(ps []Param) ([]Result, Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	results := make([]Result, len(ps))
	var ev Event
	for i, p := range ps {
		e, v, err := s.check(p)
		if err == nil {
			err = s.apply(e, v, &ev)
		}
		if err != nil {
			results[i] = Result{Reason: err.Error()}
			continue
		}
		results[i] = Result{Successful: true}
	}
	return results, ev
}

// SetAtomically is SetParametersAtomically: every parameter is checked
// before any is applied, and one refusal refuses them all. An Apply hook
// that fails after others succeeded cannot undo those; the result says
// which were applied and the event announces them.
func (s *Store) SetAtomically(ps []Param) (Result, Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type change struct {
		e *entry
		v Value
	}
	changes := make([]change, 0, len(ps))
	for _, p := range ps {
		e, v, err := s.check(p)
		if err != nil {
			return Result{Reason: err.Error()}, Event{}
		}
		changes = append(changes, change{e, v})
	}
	var ev Event
	for i, c := range changes {
		if err := s.apply(c.e, c.v, &ev); err != nil {
			reason := err.Error()
			if i > 0 {
				reason += fmt.Sprintf(" (the %d parameter(s) before it were applied)", i)
			}
			return Result{Reason: reason}, ev
		}
	}
	return Result{Successful: true}, ev
}

// check is everything a set refuses before anything is applied.
func (s *Store) check(p Param) (*entry, Value, error) {
	e, ok := s.params[p.Name]
	if !ok {
		return nil, Value{}, fmt.Errorf("parameter %q cannot be set: it is not declared", p.Name)
	}
	if e.def.ReadOnly {
		return nil, Value{}, fmt.Errorf("parameter %q cannot be set: it is read-only (it shows the setting in effect, which only a restart changes)", p.Name)
	}
	v, err := e.accept(p.Value)
	if err != nil {
		return nil, Value{}, fmt.Errorf("parameter %q cannot be set to %s: %w", p.Name, p.Value.Format(), err)
	}
	return e, v, nil
}

// apply hands an accepted value to its user and keeps it. A value equal to
// the current one is a success that changes and announces nothing.
func (s *Store) apply(e *entry, v Value, ev *Event) error {
	if v.equal(e.value) {
		return nil
	}
	if e.def.Apply != nil {
		if err := e.def.Apply(v); err != nil {
			return fmt.Errorf("parameter %q not applied: %w", e.def.Name, err)
		}
	}
	e.value = v
	ev.Changed = append(ev.Changed, Param{Name: e.def.Name, Value: v.clone()})
	return nil
}
