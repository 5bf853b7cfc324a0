package spikes

import (
	"gopkg.in/yaml.v3"
)

// UnmarshalYAML decodes one entry strictly (see MappingEntry). Problems come
// back as a *yaml.TypeError, one "line N: …" message each, so a
// configuration embedding []MappingEntry reports all of them with the rest
// of its own.
func (e *MappingEntry) UnmarshalYAML(n *yaml.Node) error {
	entry, problems := entryFromYAML(n)
	if len(problems) > 0 {
		te := &yaml.TypeError{}
		for _, p := range problems {
			te.Errors = append(te.Errors, p.Error())
		}
		return te
	}
	*e = entry
	return nil
}

func entryFromYAML(n *yaml.Node) (MappingEntry, []*MappingError) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	b := newEntryBuilder()
	if n.Kind != yaml.MappingNode {
		b.fail(n.Line, "a mapping entry must be a map with node_id and channel, got %s", yamlKind(n))
		return MappingEntry{}, b.problem
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		var v any
		if err := val.Decode(&v); err != nil {
			b.fail(val.Line, "%s: %v", key.Value, err)
			continue
		}
		b.set(key.Value, v, key.Line)
	}
	return b.finish(n.Line)
}

// entriesFromYAML decodes a whole mapping document: a list of entries, or a
// map whose only key is "mapping" holding that list.
func entriesFromYAML(data []byte) ([]MappingEntry, []*MappingError) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, []*MappingError{{Msg: "invalid YAML: " + err.Error()}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, []*MappingError{{Msg: "the mapping file is empty"}}
	}
	list := doc.Content[0]
	if list.Kind == yaml.MappingNode {
		if len(list.Content) != 2 || list.Content[0].Value != "mapping" {
			return nil, []*MappingError{{Line: list.Line, Msg: `a mapping file is a list of entries, or a map with the one key "mapping"`}}
		}
		list = list.Content[1]
	}
	if list.Kind != yaml.SequenceNode {
		return nil, []*MappingError{{Line: list.Line, Msg: "the mapping must be a list of entries, got " + yamlKind(list)}}
	}
	var (
		entries  []MappingEntry
		problems []*MappingError
	)
	for _, n := range list.Content {
		e, p := entryFromYAML(n)
		entries = append(entries, e)
		problems = append(problems, p...)
	}
	return entries, problems
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "the value " + n.Value
	}
	return "nothing"
}
