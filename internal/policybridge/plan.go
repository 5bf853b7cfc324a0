package policybridge

import (
	"fmt"
	"strings"

	"github.com/abbridge/ab_bridge/internal/roboactions"
)

// Plan is the observation and action layout, checked against the policy's
// features at start: nothing is sent that the policy did not ask for, and
// nothing it asks for is left out.
type Plan struct {
	StateKey    string   // "" for none
	StateJoints []string // the joints whose positions fill the state, in order
	Images      []ImagePlan
	ActionKey   string
	ActionDims  []string // per action dimension: a joint name, or "" ignored
}

// ImagePlan is one camera feature: which Image input fills it, at what
// channels × height × width.
type ImagePlan struct {
	Key, Input string
	C, H, W    int
}

// Layout is what the configuration says; Check fits it to the features.
type Layout struct {
	StateKey    string
	StateJoints []string
	Images      map[string]string // feature key → Image input id
	ActionKey   string
	ActionDims  []string
}

// Check fits the layout to the policy's input and output features. Every
// mismatch is reported, each naming both sides: the feature as the policy
// describes it and the configuration key that should match it.
func Check(l Layout, in, out roboactions.Features) (Plan, error) {
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	p := Plan{StateKey: l.StateKey, StateJoints: l.StateJoints, ActionKey: l.ActionKey, ActionDims: l.ActionDims}
	provided := map[string]bool{}
	if l.StateKey != "" {
		provided[l.StateKey] = true
		f, ok := in[l.StateKey]
		switch {
		case !ok:
			bad("observation.state_key %q: the policy has no such input feature (it has %s)", l.StateKey, strings.Join(in.Keys(), ", "))
		case f.Shape == nil:
			bad("input feature %q: %s", l.StateKey, f.Problem)
		case len(f.Shape) != 1 || f.Shape[0] != len(l.StateJoints):
			bad("input feature %q has shape %v; observation.state_joints gives %d values (%s)", l.StateKey, f.Shape, len(l.StateJoints), strings.Join(l.StateJoints, ", "))
		}
	}
	for _, key := range sortedKeys(l.Images) {
		provided[key] = true
		f, ok := in[key]
		switch {
		case !ok:
			bad("observation.images %q: the policy has no such input feature (it has %s)", key, strings.Join(in.Keys(), ", "))
			continue
		case f.Shape == nil:
			bad("input feature %q: %s", key, f.Problem)
			continue
		case len(f.Shape) != 3 || (f.Shape[0] != 1 && f.Shape[0] != 3):
			bad("input feature %q has shape %v; an image is sent as (3, H, W) or (1, H, W)", key, f.Shape)
			continue
		}
		p.Images = append(p.Images, ImagePlan{Key: key, Input: l.Images[key], C: f.Shape[0], H: f.Shape[1], W: f.Shape[2]})
	}
	for _, key := range in.Keys() {
		if strings.HasPrefix(key, "observation") && !provided[key] {
			bad("input feature %q (%s, shape %v): nothing in roboactions.observation provides it", key, in[key].Type, in[key].Shape)
		}
	}
	f, ok := out[l.ActionKey]
	switch {
	case !ok:
		bad("action.key %q: the policy has no such output feature (it has %s)", l.ActionKey, strings.Join(out.Keys(), ", "))
	case f.Shape == nil:
		bad("output feature %q: %s", l.ActionKey, f.Problem)
	case f.Shape[len(f.Shape)-1] != len(l.ActionDims):
		bad("output feature %q has shape %v (%d values per action); action.dims names %d", l.ActionKey, f.Shape, f.Shape[len(f.Shape)-1], len(l.ActionDims))
	}
	if len(problems) > 0 {
		return Plan{}, fmt.Errorf("the configuration does not fit the policy:\n  %s", strings.Join(problems, "\n  "))
	}
	return p, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make(roboactions.Features, len(m))
	for k := range m {
		keys[k] = roboactions.Feature{}
	}
	return keys.Keys()
}
