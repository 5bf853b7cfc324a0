package roboactions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Feature is one entry of a policy's feature map (LeRobot's
// PolicyFeature): its type (STATE, VISUAL, ACTION, ENV, …) and shape.
// Shape is nil when the server sent none the SDK could read (not a list
// of integers); Problem then says why.
type Feature struct {
	Type    string
	Shape   []int
	Problem string
}

// Features are a policy's inputs or outputs by key ("observation.state",
// "observation.images.front", "action").
type Features map[string]Feature

// Keys in order.
func (f Features) Keys() []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// InputFeatures asks /v1/policy/input_features.
func (c *Client) InputFeatures(ctx context.Context) (Features, error) {
	return c.features(ctx, "/v1/policy/input_features", "input_features")
}

// OutputFeatures asks /v1/policy/output_features.
func (c *Client) OutputFeatures(ctx context.Context) (Features, error) {
	return c.features(ctx, "/v1/policy/output_features", "output_features")
}

func (c *Client) features(ctx context.Context, path, wrapper string) (Features, error) {
	var raw map[string]json.RawMessage
	if err := c.getJSON(ctx, path, &raw); err != nil {
		return nil, err
	}
	f, err := ParseFeatures(raw, wrapper)
	if err != nil {
		return nil, fmt.Errorf("roboactions %s: %w", path, err)
	}
	return f, nil
}

// ParseFeatures reads a feature map, either flat or under its wrapper key
// ({"input_features": {…}}), as the SDK's _extract_observation_shapes
// does. Entries that are not objects are skipped, as the SDK skips them;
// a shape that is not a list of positive integers is kept with its Problem,
// so that a mapping that needs it can say what is wrong.
func ParseFeatures(raw map[string]json.RawMessage, wrapper string) (Features, error) {
	if inner, ok := raw[wrapper]; ok {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(inner, &m); err == nil {
			raw = m
		}
	}
	out := Features{}
	for key, v := range raw {
		var entry map[string]json.RawMessage
		if json.Unmarshal(v, &entry) != nil {
			continue
		}
		var f Feature
		_ = json.Unmarshal(entry["type"], &f.Type)
		f.Type = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(f.Type, "FeatureType.")))
		f.Shape, f.Problem = shapeOf(entry["shape"])
		out[key] = f
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no features in the answer")
	}
	return out, nil
}

func shapeOf(raw json.RawMessage) ([]int, string) {
	if raw == nil {
		return nil, "no shape"
	}
	var dims []any
	if err := json.Unmarshal(raw, &dims); err != nil || len(dims) == 0 {
		return nil, "shape " + clip(string(raw)) + " is not a list of integers"
	}
	shape := make([]int, len(dims))
	for i, d := range dims {
		n, ok := d.(float64)
		if !ok || n != float64(int(n)) {
			return nil, "shape " + clip(string(raw)) + " is not a list of integers"
		}
		if n <= 0 || n > 1<<24 {
			return nil, "shape " + clip(string(raw)) + " is not a list of positive integers"
		}
		shape[i] = int(n)
	}
	return shape, ""
}
