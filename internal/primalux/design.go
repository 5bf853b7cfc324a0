package primalux

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// A brain design (brain.abdesign.json) is what a device builds a brain
// from. The device confirms a build by the design's digest: the sha256 of
// its semantic form (layout dropped, nodes by name, connections by from, to
// and type) written as Python's canonical JSON, so the normalisation below
// follows the SDK's designer field by field.

// MaxDesignBytes bounds a design, as the SDK does.
const MaxDesignBytes = 1 << 20

// Design limits and vocabularies of the designer.
var (
	designRhythms = []string{"high-gamma", "gamma", "beta", "alpha", "theta", "delta"}
	edgeKinds     = []string{"exc", "inh"}
)

// Design is a normalised design in its semantic form.
type Design struct {
	Name   string
	Nodes  []DesignNode // sorted by name
	Edges  []DesignEdge // sorted by from, to, type
	Digest string       // design_sha256
	// Canonical is the semantic form as the digest covers it.
	Canonical []byte
}

// DesignNode is an input, OPU or output population.
type DesignNode struct {
	Name, Kind string
	Neurons    int      // inputs and outputs
	Rhythm     string   // OPUs
	TNorm      *float64 // OPUs; absent for a high-gamma OPU that gives none
}

// DesignEdge is a connection.
type DesignEdge struct {
	From, To, Type string
	Strength       *float64 // inhibitory, when not 1
	Role           string   // "", feedback or operand
	Units          *float64 // operand
}

// LoadDesign reads a design file to build (the SDK's load_design, for the
// JSON form): a contract JSON cannot be built, so it is refused as such.
func LoadDesign(path string) (Design, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Design{}, err
	}
	if !IsDesign(data) {
		return Design{}, fmt.Errorf("%s is a contract JSON, not a design file (%s, e.g. brain.abdesign.json): only a design can be built", path, DesignSchema)
	}
	d, err := ParseDesign(data)
	return d, wrapPath(path, err)
}

// ParseDesign normalises a design as the SDK's designer does and computes
// its digest; errors are the designer's refusals.
func ParseDesign(data []byte) (Design, error) {
	if len(data) > MaxDesignBytes {
		return Design{}, fmt.Errorf("brain design is %d bytes: at most 1 MiB", len(data))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return Design{}, fmt.Errorf("brain design must be a JSON object: %w", err)
	}
	if s, ok := doc["schema"]; ok && s != DesignSchema {
		return Design{}, fmt.Errorf("unsupported design format %v; expected %s", s, DesignSchema)
	}
	d := Design{Name: "Untitled Brain"}
	if v, ok := doc["name"]; ok {
		name, err := checkName(v, "brain name")
		if err != nil {
			return Design{}, err
		}
		d.Name = name
	}
	nodes, okN := listOr(doc, "nodes")
	edges, okE := listOr(doc, "connections")
	if !okN || !okE {
		return Design{}, errors.New("design nodes and connections must be lists")
	}
	byName := map[string]DesignNode{}
	for i, raw := range nodes {
		n, err := designNode(raw, i)
		if err != nil {
			return Design{}, err
		}
		if _, dup := byName[n.Name]; dup {
			return Design{}, fmt.Errorf("duplicate node name: %s", n.Name)
		}
		byName[n.Name] = n
		d.Nodes = append(d.Nodes, n)
	}
	seen := map[[2]string]bool{}
	for i, raw := range edges {
		e, err := designEdge(raw, i, byName)
		if err != nil {
			return Design{}, err
		}
		d.Edges = append(d.Edges, e)
	}
	for _, e := range d.Edges {
		if seen[[2]string{e.From, e.To}] {
			return Design{}, fmt.Errorf("duplicate connection: %s → %s", e.From, e.To)
		}
		seen[[2]string{e.From, e.To}] = true
	}
	slices.SortStableFunc(d.Nodes, func(a, b DesignNode) int { return strings.Compare(a.Name, b.Name) })
	slices.SortStableFunc(d.Edges, func(a, b DesignEdge) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		if c := strings.Compare(a.To, b.To); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
	canon, err := contract.CanonicalJSON(d.semantic())
	if err != nil {
		return Design{}, fmt.Errorf("brain design: %w", err)
	}
	if len(canon) > MaxDesignBytes {
		return Design{}, errors.New("brain design exceeds the maximum supported size")
	}
	sum := sha256.Sum256(canon)
	d.Canonical, d.Digest = canon, hex.EncodeToString(sum[:])
	return d, nil
}

func listOr(doc map[string]any, key string) ([]any, bool) {
	v, ok := doc[key]
	if !ok {
		return nil, true
	}
	l, ok := v.([]any)
	return l, ok
}

// pyFloat is a float as the canonical writer must show it: a float literal
// (Python writes 2.0, not 2).
func pyFloat(x float64) json.Number { return json.Number(strconv.FormatFloat(x, 'e', -1, 64)) }

func (d Design) semantic() map[string]any {
	nodes := make([]any, len(d.Nodes))
	for i, n := range d.Nodes {
		m := map[string]any{"name": n.Name, "kind": n.Kind}
		switch n.Kind {
		case "input", "output":
			m["neurons"] = n.Neurons
		case "opu":
			m["rhythm"] = n.Rhythm
			if n.TNorm != nil {
				m["tnorm"] = pyFloat(*n.TNorm)
			}
		}
		nodes[i] = m
	}
	edges := make([]any, len(d.Edges))
	for i, e := range d.Edges {
		m := map[string]any{"from": e.From, "to": e.To, "type": e.Type}
		if e.Strength != nil {
			m["strength"] = pyFloat(*e.Strength)
		}
		if e.Role != "" {
			m["role"] = e.Role
		}
		if e.Units != nil {
			m["units"] = pyFloat(*e.Units)
		}
		edges[i] = m
	}
	return map[string]any{"schema": DesignSchema, "name": d.Name, "nodes": nodes, "connections": edges}
}

// checkName is the designer's name rule: text of 1 to 80 characters, no
// surrounding white space, no control characters.
func checkName(v any, label string) (string, error) {
	s, ok := v.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("%s must be a non-empty string", label)
	}
	if s != strings.TrimSpace(s) || len([]rune(s)) > 80 || strings.IndexFunc(s, func(r rune) bool { return r < 32 }) >= 0 {
		return "", fmt.Errorf("%s must be 1–80 characters with no leading spaces or line breaks", label)
	}
	return s, nil
}

// designNumber is a JSON number as Python reads it: is it an int literal?
func designNumber(v any) (f float64, isInt, ok bool) {
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, false, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false, false
	}
	return f, !strings.ContainsAny(string(n), ".eE"), true
}

func designNode(raw any, i int) (DesignNode, error) {
	data, ok := raw.(map[string]any)
	if !ok {
		return DesignNode{}, fmt.Errorf("node %d must be an object", i+1)
	}
	name, err := checkName(data["name"], "node name")
	if err != nil {
		return DesignNode{}, err
	}
	if !populationName.MatchString(name) {
		return DesignNode{}, errors.New("population names must use letters, numbers and underscores, beginning with a letter")
	}
	kind, _ := data["kind"].(string)
	if kind != "input" && kind != "opu" && kind != "output" {
		return DesignNode{}, fmt.Errorf("%s: node kind must be input, opu, or output", name)
	}
	for _, axis := range []string{"x", "y"} {
		if v, given := data[axis]; given {
			f, _, ok := designNumber(v)
			if !ok || !finite(f) {
				return DesignNode{}, fmt.Errorf("%s: %s position must be a finite number", name, strings.ToUpper(axis))
			}
			if f < 0 {
				return DesignNode{}, fmt.Errorf("%s: %s position is outside the editing area", name, strings.ToUpper(axis))
			}
		}
	}
	n := DesignNode{Name: name, Kind: kind}
	switch kind {
	case "input", "output":
		v, given := data["neurons"]
		if !given && kind == "output" {
			v = json.Number("1")
		}
		f, isInt, ok := designNumber(v)
		if !ok || !isInt || f < 1 || f > MaxPopulation {
			return DesignNode{}, fmt.Errorf("%s: neurons must be an integer from 1 to %d", name, MaxPopulation)
		}
		n.Neurons = int(f)
	case "opu":
		rhythm, _ := data["rhythm"].(string)
		rhythm = strings.ToLower(rhythm)
		if !slices.Contains(designRhythms, rhythm) {
			return DesignNode{}, fmt.Errorf("%s: choose high-gamma, gamma, beta, alpha, theta, or delta", name)
		}
		n.Rhythm = rhythm
		if t, given := data["tnorm"]; rhythm != "high-gamma" || (given && t != nil) {
			tn, err := designTNorm(t)
			if err != nil {
				return DesignNode{}, fmt.Errorf("%s: %w", name, err)
			}
			n.TNorm = &tn
		}
	}
	return n, nil
}

// designTNorm: 0 to 10 with at most two decimals, rounded to them.
func designTNorm(v any) (float64, error) {
	f, _, ok := designNumber(v)
	if !ok || !finite(f) || f < 0 || f > 10 {
		return 0, errors.New("TNorm must be a number between 0.00 and 10.00")
	}
	if math.Abs(f*100-math.RoundToEven(f*100)) > 1e-7 {
		return 0, errors.New("TNorm supports up to two decimal places (such as 2.01)")
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 2, 64), 64) // Python's round(f, 2)
	return r, nil
}

func designEdge(raw any, i int, byName map[string]DesignNode) (DesignEdge, error) {
	data, ok := raw.(map[string]any)
	if !ok {
		return DesignEdge{}, fmt.Errorf("connection %d must be an object", i+1)
	}
	from, err := checkName(data["from"], "connection source")
	if err != nil {
		return DesignEdge{}, err
	}
	to, err := checkName(data["to"], "connection target")
	if err != nil {
		return DesignEdge{}, err
	}
	kind := "exc"
	if v, given := data["type"]; given {
		kind, _ = v.(string)
		if !slices.Contains(edgeKinds, kind) {
			return DesignEdge{}, errors.New("connection type must be 'exc' or 'inh'")
		}
	}
	src, okS := byName[from]
	dst, okT := byName[to]
	switch {
	case !okS || !okT:
		return DesignEdge{}, fmt.Errorf("unknown node in connection %s → %s", from, to)
	case src.Kind == "output" && dst.Kind != "opu":
		return DesignEdge{}, errors.New("output feedback must target an OPU")
	case dst.Kind == "input":
		return DesignEdge{}, fmt.Errorf("an input cannot receive a connection: %s", to)
	case src.Kind == "input" && dst.Kind == "output":
		return DesignEdge{}, errors.New("connect an input through an OPU before connecting to an output")
	}
	e := DesignEdge{From: from, To: to, Type: kind}
	if v, given := data["strength"]; given {
		if kind != "inh" {
			return DesignEdge{}, errors.New("inhibition strength only applies to inhibitory connections")
		}
		f, _, ok := designNumber(v)
		if !ok || !finite(f) || f < 0.1 {
			return DesignEdge{}, errors.New("inhibition strength must be a finite number of at least 0.1")
		}
		if f != 1 {
			e.Strength = &f
		}
	}
	if v, given := data["role"]; given && v != nil {
		role, _ := v.(string)
		if role != "feedback" && role != "operand" {
			return DesignEdge{}, errors.New("connection role must be feedback or operand")
		}
		if dst.Kind != "opu" {
			return DesignEdge{}, errors.New("connection roles require an OPU target")
		}
		if role == "feedback" && src.Kind == "input" {
			return DesignEdge{}, errors.New("an input connection cannot be feedback")
		}
		e.Role = role
	}
	if v, given := data["units"]; given {
		f, _, ok := designNumber(v)
		if e.Role != "operand" || !ok || !finite(f) || f <= 0 {
			return DesignEdge{}, errors.New("positive units require an operand connection")
		}
		e.Units = &f
	}
	return e, nil
}
