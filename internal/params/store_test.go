package params

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defs is a small node: a read-only string, a live bool, a live string
// with a word list, and two doubles under one prefix.
func defs(applied *[]Param) []Definition {
	rec := func(name string) func(Value) error {
		return func(v Value) error {
			if v.Type == TypeDouble && v.Double == 13 {
				return errors.New("unlucky")
			}
			*applied = append(*applied, Param{name, v})
			return nil
		}
	}
	return []Definition{
		{Descriptor: Descriptor{Name: "brain.project", Type: TypeString, ReadOnly: true}, Value: String("demo")},
		{Descriptor: Descriptor{Name: "trajectory.publish_idle", Type: TypeBool}, Value: Bool(true), Apply: rec("trajectory.publish_idle")},
		{Descriptor: Descriptor{Name: "log_level", Type: TypeString}, Value: String("info"), Check: OneOf("debug", "info", "warn", "error"), Apply: rec("log_level")},
		{Descriptor: Descriptor{Name: "joints.a.max_velocity", Type: TypeDouble}, Value: Double(0), Check: NonNegative, Apply: rec("joints.a.max_velocity")},
		{Descriptor: Descriptor{Name: "joints.a.max_acceleration", Type: TypeDouble}, Value: Double(0), Check: NonNegative, Apply: rec("joints.a.max_acceleration")},
		{Descriptor: Descriptor{Name: "use_sim_time", Type: TypeBool}, Value: Bool(false)},
	}
}

func newStore(t *testing.T, overrides map[string]any) (*Store, *[]Param) {
	t.Helper()
	var applied []Param
	s, err := New(defs(&applied), overrides)
	require.NoError(t, err)
	return s, &applied
}

func TestOverridesAreInitialValues(t *testing.T) {
	s, applied := newStore(t, map[string]any{
		"joints.a.max_velocity": 2,       // a YAML integer for a double
		"log_level":             "warn",  // a writable string
		"brain.project":         "other", // read-only: the value in effect stands
		"not_declared":          1.5,
	})
	assert.Equal(t, []Value{Double(2), String("warn"), String("demo"), {}}, s.Get([]string{"joints.a.max_velocity", "log_level", "brain.project", "not_declared"}))
	assert.Empty(t, *applied, "initial values are not applied: the caller builds from them")
}

func TestBadOverridesStopTheStart(t *testing.T) {
	for name, ov := range map[string]map[string]any{
		"wrong type":   {"trajectory.publish_idle": "yes"},
		"out of range": {"joints.a.max_velocity": -1.0},
		"not a word":   {"log_level": "loud"},
		"mixed list":   {"log_level": []any{"a", 1}},
	} {
		_, err := New(defs(new([]Param)), ov)
		assert.Error(t, err, name)
	}
}

func TestNewRefusesBadDefinitions(t *testing.T) {
	for name, d := range map[string][]Definition{
		"no type":    {{Descriptor: Descriptor{Name: "x"}}},
		"value type": {{Descriptor: Descriptor{Name: "x", Type: TypeBool}, Value: String("a")}},
		"twice":      {{Descriptor: Descriptor{Name: "x", Type: TypeBool}, Value: Bool(true)}, {Descriptor: Descriptor{Name: "x", Type: TypeBool}, Value: Bool(true)}},
		"no name":    {{Descriptor: Descriptor{Type: TypeBool}, Value: Bool(true)}},
	} {
		_, err := New(d, nil)
		assert.Error(t, err, name)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name    string
		set     Param
		ok      bool
		reason  string
		stored  Value
		applied bool
	}{
		{"bool", Param{"trajectory.publish_idle", Bool(false)}, true, "", Bool(false), true},
		{"same value changes nothing", Param{"trajectory.publish_idle", Bool(true)}, true, "", Bool(true), false},
		{"double", Param{"joints.a.max_velocity", Double(1.5)}, true, "", Double(1.5), true},
		{"integer for a double", Param{"joints.a.max_velocity", Integer(3)}, true, "", Double(3), true},
		{"word", Param{"log_level", String("debug")}, true, "", String("debug"), true},
		{"read-only", Param{"brain.project", String("x")}, false, "read-only", String("demo"), false},
		{"wrong type", Param{"trajectory.publish_idle", String("false")}, false, "wrong type: the parameter is bool, the value is string", Bool(true), false},
		{"double for a bool", Param{"trajectory.publish_idle", Double(0)}, false, "wrong type", Bool(true), false},
		{"unset", Param{"trajectory.publish_idle", Value{}}, false, "cannot be unset", Bool(true), false},
		{"check", Param{"joints.a.max_velocity", Double(-1)}, false, "≥ 0", Double(0), false},
		{"not a word", Param{"log_level", String("loud")}, false, "want one of debug, info, warn, error", String("info"), false},
		{"apply refuses", Param{"joints.a.max_velocity", Double(13)}, false, "not applied: unlucky", Double(0), false},
		{"not declared", Param{"nope", Bool(true)}, false, "not declared", Value{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, applied := newStore(t, nil)
			res, ev := s.Set([]Param{tc.set})
			require.Len(t, res, 1)
			assert.Equal(t, tc.ok, res[0].Successful)
			assert.Contains(t, res[0].Reason, tc.reason)
			assert.Equal(t, tc.stored, s.Get([]string{tc.set.Name})[0])
			if tc.applied {
				assert.Equal(t, []Param{{tc.set.Name, tc.stored}}, *applied)
				assert.Equal(t, Event{Changed: []Param{{tc.set.Name, tc.stored}}}, ev)
			} else {
				assert.Empty(t, *applied)
				assert.True(t, ev.Empty())
			}
		})
	}
}

func TestSetIsPerParameter(t *testing.T) {
	s, _ := newStore(t, nil)
	res, ev := s.Set([]Param{{"brain.project", String("x")}, {"trajectory.publish_idle", Bool(false)}})
	assert.False(t, res[0].Successful)
	assert.True(t, res[1].Successful, "one refusal does not stop the others")
	assert.Equal(t, []Param{{"trajectory.publish_idle", Bool(false)}}, ev.Changed)
}

func TestSetAtomically(t *testing.T) {
	s, applied := newStore(t, nil)
	res, ev := s.SetAtomically([]Param{{"trajectory.publish_idle", Bool(false)}, {"log_level", String("loud")}})
	assert.False(t, res.Successful)
	assert.Contains(t, res.Reason, "log_level")
	assert.True(t, ev.Empty())
	assert.Empty(t, *applied, "nothing applied when one is refused")
	assert.Equal(t, Bool(true), s.Get([]string{"trajectory.publish_idle"})[0])

	res, ev = s.SetAtomically([]Param{{"trajectory.publish_idle", Bool(false)}, {"log_level", String("error")}})
	assert.True(t, res.Successful)
	assert.Len(t, ev.Changed, 2)

	res, ev = s.SetAtomically([]Param{{"joints.a.max_velocity", Double(1)}, {"joints.a.max_acceleration", Double(13)}})
	assert.False(t, res.Successful)
	assert.Contains(t, res.Reason, "the 1 parameter(s) before it were applied")
	assert.Equal(t, []Param{{"joints.a.max_velocity", Double(1)}}, ev.Changed, "what was applied is announced")
}

func TestGetTypesDescribe(t *testing.T) {
	s, _ := newStore(t, nil)
	assert.Equal(t, []Type{TypeBool, TypeNotSet, TypeDouble}, s.Types([]string{"use_sim_time", "nope", "joints.a.max_velocity"}))
	d, ok := s.Describe([]string{"brain.project", "log_level"})
	require.True(t, ok)
	assert.True(t, d[0].ReadOnly)
	assert.Equal(t, "log_level", d[1].Name)
	_, ok = s.Describe([]string{"log_level", "nope"})
	assert.False(t, ok, "an unknown name answers no descriptors, as rclcpp and rclpy do")
	v := s.Get([]string{"log_level"})
	v[0].String = "changed"
	assert.Equal(t, String("info"), s.Get([]string{"log_level"})[0])
}

func TestList(t *testing.T) {
	s, _ := newStore(t, nil)
	all := []string{"brain.project", "joints.a.max_acceleration", "joints.a.max_velocity", "log_level", "trajectory.publish_idle", "use_sim_time"}
	tests := []struct {
		name     string
		prefixes []string
		depth    uint64
		names    []string
		under    []string
	}{
		{"everything", nil, DepthRecursive, all, []string{"brain", "joints.a", "trajectory"}},
		{"top level", nil, 1, []string{"log_level", "use_sim_time"}, nil},
		{"two levels", nil, 2, []string{"brain.project", "log_level", "trajectory.publish_idle", "use_sim_time"}, []string{"brain", "trajectory"}},
		{"under a prefix", []string{"joints"}, DepthRecursive, []string{"joints.a.max_acceleration", "joints.a.max_velocity"}, []string{"joints.a"}},
		{"depth counts the separator after the prefix", []string{"joints.a"}, 1, nil, nil},
		{"one level below", []string{"joints.a"}, 2, []string{"joints.a.max_acceleration", "joints.a.max_velocity"}, []string{"joints.a"}},
		{"a prefix is whole parts", []string{"joint"}, DepthRecursive, nil, nil},
		{"a name is its own prefix", []string{"log_level", "brain"}, DepthRecursive, []string{"brain.project", "log_level"}, []string{"brain"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names, under := s.List(tc.prefixes, tc.depth)
			assert.Equal(t, tc.names, names)
			assert.Equal(t, tc.under, under)
		})
	}
}

func TestDeclaredAnnouncesEverything(t *testing.T) {
	s, _ := newStore(t, map[string]any{"log_level": "warn"})
	ev := s.Declared()
	assert.Len(t, ev.New, len(s.Names()))
	assert.Contains(t, ev.New, Param{"log_level", String("warn")})
	assert.Empty(t, ev.Changed)
}

func TestFromYAML(t *testing.T) {
	tests := []struct {
		in   any
		want Value
	}{
		{true, Bool(true)},
		{3, Integer(3)},
		{2.5, Double(2.5)},
		{"x", String("x")},
		{[]any{1, 2}, Value{Type: TypeIntegerArray, Ints: []int64{1, 2}}},
		{[]any{1.0, 2.0}, Value{Type: TypeDoubleArray, Doubles: []float64{1, 2}}},
		{[]any{"a"}, Value{Type: TypeStringArray, Strings: []string{"a"}}},
		{[]any{true}, Value{Type: TypeBoolArray, Bools: []bool{true}}},
	}
	for _, tc := range tests {
		got, err := FromYAML(tc.in)
		require.NoError(t, err, "%v", tc.in)
		assert.Equal(t, tc.want, got)
	}
	for _, bad := range []any{nil, []any{}, []any{1, "a"}, map[string]any{}} {
		_, err := FromYAML(bad)
		assert.Error(t, err, "%v", bad)
	}
}
