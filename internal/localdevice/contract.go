package localdevice

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// Device limits the SDK enforces before it sends (and that the device
// therefore enforces too): channels per sensor frame, values per channel.
const (
	MaxChannels    = 128
	MaxValues      = 498
	maxChannelName = 128
	designSchema   = "artificial-brains/design/v1"
)

var populationName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// Population is one named input or output of the installed brain.
type Population struct {
	ID     string
	N      int
	Reward bool // an input that carries the reward, not a sensor
}

// Brain is the installed brain as the device knows it: its name, its I/O
// populations, and the digests the status reports.
type Brain struct {
	Name         string
	Inputs       []Population
	Outputs      []Population
	SHA256       string // of the file it was installed from
	DesignSHA256 string // the SDK's design digest (empty for a bare contract)
}

// input finds an input population by name.
func (b *Brain) input(id string) (Population, bool) {
	for _, p := range b.Inputs {
		if p.ID == id {
			return p, true
		}
	}
	return Population{}, false
}

// inputNames lists the inputs, for error messages.
func (b *Brain) inputNames() string {
	names := make([]string, len(b.Inputs))
	for i, p := range b.Inputs {
		names[i] = p.ID
	}
	return strings.Join(names, ", ")
}

// LoadBrain reads a brain design (schema artificial-brains/design/v1, the
// file the SDK's designer saves) or an I/O contract (lists named inputs and
// outputs, the file AB_DEVICE_CONTRACT names). rewards names the inputs
// that carry the reward; a contract input of kind Reward is one as well.
func LoadBrain(path string, rewards []string) (*Brain, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := ParseBrain(raw, rewards)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// ParseBrain is LoadBrain on the file's bytes.
func ParseBrain(raw []byte, rewards []string) (*Brain, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	sum := sha256.Sum256(raw)
	var b *Brain
	var err error
	if _, ok := doc["nodes"]; ok {
		b, err = designBrain(doc)
	} else {
		b, err = contractBrain(doc)
	}
	if err != nil {
		return nil, err
	}
	b.SHA256 = hex.EncodeToString(sum[:])
	for _, r := range rewards {
		i := slices.IndexFunc(b.Inputs, func(p Population) bool { return p.ID == r })
		if i < 0 {
			return nil, fmt.Errorf("reward population %q is not an input (inputs: %s)", r, b.inputNames())
		}
		b.Inputs[i].Reward = true
	}
	return b, nil
}

// designBrain reads the populations of a design; OPUs and connections are
// the device's business, and the stand-in's network has none.
func designBrain(doc map[string]any) (*Brain, error) {
	if s, _ := doc["schema"].(string); s != designSchema {
		return nil, fmt.Errorf("design schema %q, want %q", doc["schema"], designSchema)
	}
	name, _ := doc["name"].(string)
	b := &Brain{Name: name}
	nodes, ok := doc["nodes"].([]any)
	if !ok {
		return nil, errors.New("design nodes is not a list")
	}
	for i, raw := range nodes {
		node, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("design node %d is not an object", i+1)
		}
		kind, _ := node["kind"].(string)
		if kind != "input" && kind != "output" {
			continue
		}
		p, err := population(node, "name", "neurons")
		if err != nil {
			return nil, fmt.Errorf("design node %d: %w", i+1, err)
		}
		if kind == "input" {
			b.Inputs = append(b.Inputs, p)
		} else {
			b.Outputs = append(b.Outputs, p)
		}
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	digest, err := DesignSHA256(doc)
	if err != nil {
		return nil, err
	}
	b.DesignSHA256 = digest
	return b, nil
}

// contractBrain reads an I/O contract: {inputs: [{id, n, kind}], outputs:
// [{id, n}]}.
func contractBrain(doc map[string]any) (*Brain, error) {
	name, _ := doc["name"].(string)
	b := &Brain{Name: name}
	for _, side := range []struct {
		key string
		dst *[]Population
	}{{"inputs", &b.Inputs}, {"outputs", &b.Outputs}} {
		list, ok := doc[side.key].([]any)
		if !ok {
			return nil, fmt.Errorf("contract %s is not a list (want a design with nodes, or a contract with inputs and outputs)", side.key)
		}
		for i, raw := range list {
			entry, ok := raw.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("contract %s[%d] is not an object", side.key, i)
			}
			p, err := population(entry, "id", "n")
			if err != nil {
				return nil, fmt.Errorf("contract %s[%d]: %w", side.key, i, err)
			}
			kind, _ := entry["kind"].(string)
			p.Reward = side.key == "inputs" && strings.EqualFold(kind, "reward")
			*side.dst = append(*side.dst, p)
		}
	}
	return b, b.check()
}

func population(obj map[string]any, nameKey, sizeKey string) (Population, error) {
	id, _ := obj[nameKey].(string)
	if !populationName.MatchString(id) {
		return Population{}, fmt.Errorf("%s %q is not a population name (a letter, then letters, digits, _; at most 64)", nameKey, obj[nameKey])
	}
	num, _ := obj[sizeKey].(json.Number)
	n, err := num.Int64()
	if err != nil || n < 1 || n > MaxValues {
		return Population{}, fmt.Errorf("%s: %s %v, want a whole number from 1 to %d", id, sizeKey, obj[sizeKey], MaxValues)
	}
	return Population{ID: id, N: int(n)}, nil
}

func (b *Brain) check() error {
	if len(b.Outputs) == 0 {
		return errors.New("the brain has no output population")
	}
	seen := map[string]bool{}
	for _, p := range slices.Concat(b.Inputs, b.Outputs) {
		if seen[p.ID] {
			return fmt.Errorf("population %q twice", p.ID)
		}
		seen[p.ID] = true
	}
	if len(b.Inputs) > MaxChannels {
		return fmt.Errorf("%d inputs, the device takes at most %d", len(b.Inputs), MaxChannels)
	}
	return nil
}

// DesignSHA256 is the SDK's digest of a design as its designer saves it:
// sha256 of the canonical JSON (sorted keys, no spaces) of the design
// without node positions, nodes sorted by name, connections by from, to
// and type. doc must be decoded with json.Number. A design the designer
// did not normalise (defaults left out) digests differently than the SDK
// would after normalising it.
func DesignSHA256(doc map[string]any) (string, error) {
	nodes, _ := doc["nodes"].([]any)
	semNodes := make([]any, 0, len(nodes))
	for _, raw := range nodes {
		node, ok := raw.(map[string]any)
		if !ok {
			return "", errors.New("design node is not an object")
		}
		entry := map[string]any{}
		for k, v := range node {
			if k != "x" && k != "y" {
				entry[k] = v
			}
		}
		semNodes = append(semNodes, entry)
	}
	slices.SortStableFunc(semNodes, func(a, b any) int {
		return strings.Compare(str(a, "name"), str(b, "name"))
	})
	conns, _ := doc["connections"].([]any)
	conns = slices.Clone(conns)
	if conns == nil {
		conns = []any{}
	}
	slices.SortStableFunc(conns, func(a, b any) int {
		for _, k := range []string{"from", "to", "type"} {
			if c := strings.Compare(str(a, k), str(b, k)); c != 0 {
				return c
			}
		}
		return 0
	})
	sem := map[string]any{"schema": doc["schema"], "name": doc["name"], "nodes": semNodes, "connections": conns}
	body, err := contract.CanonicalJSON(sem)
	if err != nil {
		return "", fmt.Errorf("design digest: %w", err)
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

func str(v any, key string) string {
	m, _ := v.(map[string]any)
	s, _ := m[key].(string)
	return s
}
