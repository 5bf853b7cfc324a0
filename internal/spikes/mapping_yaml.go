package spikes

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// UnmarshalYAML decodes one entry as the SDK reads it (see MappingEntry).
// Problems come back as a *yaml.TypeError, one "line N: …" message each;
// so does an entry the SDK would drop, since a lone entry cannot be
// dropped. Warnings are not reported here: MappingList and LoadMapping
// return them.
func (e *MappingEntry) UnmarshalYAML(n *yaml.Node) error {
	p, _, problems := entryFromYAML(n)
	if len(problems) == 0 && !p.keep {
		problems = p.dropped
	}
	if len(problems) > 0 {
		return typeError(problems)
	}
	*e = p.entry
	return nil
}

// MappingList is a YAML list of mapping entries as the SDK reads it: what
// it drops is left out, and what it ignores is in Warnings. Embedded in a
// strict configuration, its problems come back with the document's lines
// beside the configuration's own.
type MappingList struct {
	Entries      []MappingEntry
	ChannelLines []int           // per entry, the line of its channel key
	Warnings     []*MappingError // what the SDK ignores or drops, at its line
}

// UnmarshalYAML decodes the list; null is an empty list.
func (l *MappingList) UnmarshalYAML(n *yaml.Node) error {
	parsed, warnings, problems := listFromYAML(n)
	if len(problems) > 0 {
		return typeError(problems)
	}
	*l = MappingList{Warnings: warnings}
	for _, p := range parsed {
		if p.keep {
			l.Entries = append(l.Entries, p.entry)
			l.ChannelLines = append(l.ChannelLines, p.channelLine)
		}
	}
	return nil
}

func typeError(problems []*MappingError) error {
	te := &yaml.TypeError{}
	for _, p := range problems {
		te.Errors = append(te.Errors, p.Error())
	}
	return te
}

func listFromYAML(n *yaml.Node) ([]parsedEntry, []*MappingError, []*MappingError) {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil, nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, []*MappingError{{Line: n.Line, Msg: "the mapping must be a list of entries, got " + yamlKind(n)}}
	}
	var (
		entries            []parsedEntry
		warnings, problems []*MappingError
	)
	for _, item := range n.Content {
		e, w, p := entryFromYAML(item)
		entries = append(entries, e)
		warnings = append(warnings, w...)
		problems = append(problems, p...)
	}
	return entries, warnings, problems
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func entryFromYAML(n *yaml.Node) (parsedEntry, []*MappingError, []*MappingError) {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return skippedEntry(n.Line, yamlKind(n))
	}
	b := newEntryBuilder()
	var problems []*MappingError
	for _, kv := range mapPairs(n) {
		key, val := kv[0], kv[1]
		v, err := yamlValue(val)
		if err != nil {
			problems = append(problems, &MappingError{Line: val.Line, Msg: fmt.Sprintf("%s: %v", key.Value, err)})
			continue
		}
		name := key.Value
		if key.ShortTag() != "!!str" {
			name = nonStringKey + name // a key such as 1 or true names no field
		}
		b.set(name, v, key.Line)
	}
	p, w, probs := b.parsed(n.Line)
	return p, w, append(problems, probs...)
}

// mapPairs lists a map's key and value nodes, the keys merged in with <<
// first, so that the map's own keys override them as in PyYAML.
func mapPairs(n *yaml.Node) [][2]*yaml.Node {
	var merged, own [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], resolveAlias(n.Content[i+1])
		if key.ShortTag() != "!!merge" {
			own = append(own, [2]*yaml.Node{key, n.Content[i+1]})
			continue
		}
		sources := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			sources = val.Content
		}
		for _, src := range sources {
			if src = resolveAlias(src); src.Kind == yaml.MappingNode {
				merged = append(merged, mapPairs(src)...)
			}
		}
	}
	return append(merged, own...)
}

// yamlValue is a node as the generic values of pyvalue.go.
func yamlValue(n *yaml.Node) (any, error) {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := yamlValue(item)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		for _, kv := range mapPairs(n) {
			v, err := yamlValue(kv[1])
			if err != nil {
				return nil, err
			}
			name := kv[0].Value
			if kv[0].ShortTag() != "!!str" {
				name = nonStringKey + name
			}
			out[name] = v
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			err := n.Decode(&b)
			return b, err
		case "!!int":
			return yamlInt(n)
		case "!!float":
			if plainInt.MatchString(n.Value) {
				return yamlInt(n) // too long for int64, still an integer to Python
			}
			var f float64
			err := n.Decode(&f)
			return f, err
		}
		if n.Style == 0 && plainInt.MatchString(n.Value) {
			// yaml.v3 leaves a plain integer too long for int64 a string;
			// it is an integer to YAML, and to Python.
			return yamlInt(n)
		}
		return n.Value, nil
	}
	return nil, fmt.Errorf("unexpected YAML node")
}

var plainInt = regexp.MustCompile(`^[-+]?[0-9]+$`)

// yamlInt reads an integer of any size in the forms YAML allows (0x, 0o,
// underscores, a sign).
func yamlInt(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err == nil {
		switch x := v.(type) {
		case int:
			return big.NewInt(int64(x)), nil
		case int64:
			return big.NewInt(x), nil
		case uint64:
			return new(big.Int).SetUint64(x), nil
		}
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	if i, ok := new(big.Int).SetString(s, 0); ok {
		return i, nil
	}
	return nil, fmt.Errorf("cannot read %s as an integer", strconv.Quote(n.Value))
}

// entriesFromYAML decodes a whole mapping document: a list of entries, or a
// map whose only key is "mapping" holding that list.
func entriesFromYAML(data []byte) ([]parsedEntry, []*MappingError, []*MappingError) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, []*MappingError{{Msg: "invalid YAML: " + err.Error()}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil, []*MappingError{{Msg: "the mapping file is empty"}}
	}
	list := resolveAlias(doc.Content[0])
	if list.Kind == yaml.MappingNode {
		if len(list.Content) != 2 || list.Content[0].Value != "mapping" {
			return nil, nil, []*MappingError{{Line: list.Line, Msg: `a mapping file is a list of entries, or a map with the one key "mapping"`}}
		}
		list = list.Content[1]
	}
	return listFromYAML(list)
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "the value " + n.Value
	}
	return "nothing"
}
