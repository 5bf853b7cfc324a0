package primalux

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// ContractEnv names the file with the installed brain's I/O contract, as
// the SDK's PrimaLuxConfig reads it.
const ContractEnv = "AB_DEVICE_CONTRACT"

// Contract is the installed brain's I/O: what the device takes and sends.
// The device does not serve it; it comes from the brain's design file or
// the contract JSON the SDK reads.
type Contract struct {
	Inputs  []Input
	Outputs []Output
}

// Input is one sensory population.
type Input struct {
	ID     string // the population the device knows ("inputId")
	Sensor string // the robot side's name for it (defaults to ID)
	Kind   string // the modality, which picks the default encoding
	N      int    // neurons; 0 when the contract does not say
}

// Output is one motor population.
type Output struct {
	ID      string
	Motor   string // defaults to ID
	MotorID string
	N       int // neurons when known (from a design); 0 otherwise
}

// Input finds an input by its sensor name.
func (c Contract) Input(sensor string) (Input, bool) {
	for _, in := range c.Inputs {
		if in.Sensor == sensor {
			return in, true
		}
	}
	return Input{}, false
}

// LoadContract reads a contract or design file (a design has "nodes").
func LoadContract(path string) (Contract, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Contract{}, fmt.Errorf("contract: %w", err)
	}
	if IsDesign(data) {
		c, err := ContractFromDesign(data)
		return c, wrapPath(path, err)
	}
	c, err := ParseContract(data)
	return c, wrapPath(path, err)
}

// IsDesign says whether a contract file is a brain design (it has "nodes")
// rather than the SDK's contract JSON: only a design can be built.
func IsDesign(data []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(data, &probe) != nil {
		return false
	}
	_, ok := probe["nodes"]
	return ok
}

func wrapPath(path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", path, err)
}

// ParseContract reads the contract JSON the SDK loads: lists named inputs
// and outputs, and optionally maps.input_sensor_map / maps.output_motor_map,
// which win over the lists when non-empty (the SDK's rule). It is stricter
// than the SDK where the SDK would lose an entry silently or fail later: an
// entry without an id, a non-integer n, or n outside 1..498 is an error.
func ParseContract(data []byte) (Contract, error) {
	var doc struct {
		Inputs  []map[string]any `json:"inputs"`
		Outputs []map[string]any `json:"outputs"`
		Maps    struct {
			Inputs  []map[string]any `json:"input_sensor_map"`
			Outputs []map[string]any `json:"output_motor_map"`
		} `json:"maps"`
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(data, &shape); err != nil {
		return Contract{}, fmt.Errorf("contract is not a JSON object: %w", err)
	}
	for _, k := range []string{"inputs", "outputs"} {
		if !bytes.HasPrefix(bytes.TrimSpace(shape[k]), []byte("[")) {
			return Contract{}, fmt.Errorf("contract must have lists named inputs and outputs (%s is missing or not a list)", k)
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Contract{}, fmt.Errorf("contract: %w", err)
	}
	var c Contract
	var err error
	if len(doc.Maps.Inputs) > 0 {
		c.Inputs, err = inputsOf(doc.Maps.Inputs, "maps.input_sensor_map", []string{"inputId", "input_id"}, []string{"sensor", "name"})
	} else {
		c.Inputs, err = inputsOf(doc.Inputs, "inputs", []string{"id", "inputId"}, nil)
	}
	if err != nil {
		return Contract{}, err
	}
	if len(doc.Maps.Outputs) > 0 {
		c.Outputs, err = outputsOf(doc.Maps.Outputs, "maps.output_motor_map", []string{"outputId", "output_id"}, []string{"motor", "name"})
	} else {
		c.Outputs, err = outputsOf(doc.Outputs, "outputs", []string{"id", "outputId"}, nil)
	}
	return c, err
}

// firstText is Python's `a or b or ...` over string fields.
func firstText(m map[string]any, keys []string) (string, error) {
	for _, k := range keys {
		switch v := m[k].(type) {
		case nil:
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s, nil
			}
		default:
			return "", fmt.Errorf("%s is %v, not text", k, v)
		}
	}
	return "", nil
}

func populationSize(m map[string]any) (int, error) {
	v, ok := m["n"]
	if !ok || v == nil {
		return 0, nil
	}
	f, isNum := v.(float64)
	if !isNum || f != float64(int(f)) || f < 1 || f > MaxPopulation {
		return 0, fmt.Errorf("n is %v: want an integer from 1 to %d (the device's population limit)", v, MaxPopulation)
	}
	return int(f), nil
}

// entryPop is what an input and an output entry share: an id, the name
// the device knows it by (the id when absent) and its size.
type entryPop struct {
	id, name string
	n        int
}

// populationsOf reads what entries share, refusing a missing id, a
// repeated id or name, and a bad size; side is "input" or "output", what
// the name is ("sensor" or "motor").
func populationsOf(entries []map[string]any, where, side, what string, idKeys, nameKeys []string) ([]entryPop, error) {
	out := make([]entryPop, 0, len(entries))
	ids, names := map[string]bool{}, map[string]bool{}
	for i, e := range entries {
		at := fmt.Sprintf("%s[%d]", where, i)
		id, err := firstText(e, idKeys)
		if err == nil && id == "" {
			err = fmt.Errorf("no %s", strings.Join(idKeys, " or "))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		name, err := firstText(e, nameKeys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", at, err)
		}
		if name == "" {
			name = id
		}
		n, err := populationSize(e)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", at, id, err)
		}
		if ids[id] {
			return nil, fmt.Errorf("%s: duplicate %s id %s", at, side, id)
		}
		if names[name] {
			return nil, fmt.Errorf("%s: duplicate %s %s", at, what, name)
		}
		ids[id], names[name] = true, true
		out = append(out, entryPop{id: id, name: name, n: n})
	}
	return out, nil
}

func inputsOf(entries []map[string]any, where string, idKeys, nameKeys []string) ([]Input, error) {
	pops, err := populationsOf(entries, where, "input", "sensor", idKeys, nameKeys)
	if err != nil {
		return nil, err
	}
	out := make([]Input, len(pops))
	for i, p := range pops {
		kind, err := firstText(entries[i], []string{"kind"})
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", where, i, err)
		}
		if kind == "" {
			kind = "Unknown"
		}
		out[i] = Input{ID: p.id, Sensor: p.name, Kind: kind, N: p.n}
	}
	return out, nil
}

func outputsOf(entries []map[string]any, where string, idKeys, nameKeys []string) ([]Output, error) {
	pops, err := populationsOf(entries, where, "output", "motor", idKeys, nameKeys)
	if err != nil {
		return nil, err
	}
	out := make([]Output, len(pops))
	for i, p := range pops {
		motorID, err := firstText(entries[i], []string{"motorId", "motor_id"})
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", where, i, err)
		}
		out[i] = Output{ID: p.id, Motor: p.name, MotorID: motorID, N: p.n}
	}
	return out, nil
}

// DesignSchema is the design files' format the SDK's designer writes.
const DesignSchema = "artificial-brains/design/v1"

var populationName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// ContractFromDesign derives the contract from a brain design
// (brain.abdesign.json) as the SDK's design_contract does: every input node
// an input of kind "Input" with its neurons, every output node an output
// (1 neuron unless it says). Only what the contract needs is checked; the
// device validates the rest of a design when it builds it.
func ContractFromDesign(data []byte) (Contract, error) {
	var doc struct {
		Schema *string          `json:"schema"`
		Nodes  []map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return Contract{}, fmt.Errorf("design is not a JSON object with a list of nodes: %w", err)
	}
	if doc.Schema != nil && *doc.Schema != DesignSchema {
		return Contract{}, fmt.Errorf("design format %q: want %s", *doc.Schema, DesignSchema)
	}
	if doc.Nodes == nil {
		return Contract{}, errors.New("design has no list of nodes")
	}
	var c Contract
	seen := map[string]bool{}
	for i, node := range doc.Nodes {
		name, _ := node["name"].(string)
		if !populationName.MatchString(name) {
			return Contract{}, fmt.Errorf("design nodes[%d]: name %v: want letters, digits and underscores, beginning with a letter (at most 64)", i, node["name"])
		}
		if seen[name] {
			return Contract{}, fmt.Errorf("design nodes[%d]: duplicate node name %s", i, name)
		}
		seen[name] = true
		kind, _ := node["kind"].(string)
		switch kind {
		case "input", "output":
		case "opu":
			continue
		default:
			return Contract{}, fmt.Errorf("design node %s: kind %v: want input, opu or output", name, node["kind"])
		}
		v, given := node["neurons"]
		if !given && kind == "output" {
			v = 1.0
		}
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) || f < 1 || f > MaxPopulation {
			return Contract{}, fmt.Errorf("design node %s: neurons %v: want an integer from 1 to %d", name, v, MaxPopulation)
		}
		if kind == "input" {
			c.Inputs = append(c.Inputs, Input{ID: name, Sensor: name, Kind: "Input", N: int(f)})
		} else {
			c.Outputs = append(c.Outputs, Output{ID: name, Motor: name, N: int(f)})
		}
	}
	return c, nil
}
