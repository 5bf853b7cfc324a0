package yamlfile

import "gopkg.in/yaml.v3"

// LineOf is the line of the key (or sequence item) at path, or of its
// deepest existing ancestor: where a reader looks for the setting.
func LineOf(root *yaml.Node, path ...any) int {
	_, line := walk(root, path...)
	return line
}

// NodeAt is the value node at path, or nil.
func NodeAt(root *yaml.Node, path ...any) *yaml.Node {
	n, _ := walk(root, path...)
	return n
}

// MapKeys lists the keys of the mapping node at path, in file order.
func MapKeys(root *yaml.Node, path ...any) []string {
	n := NodeAt(root, path...)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	keys := make([]string, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

// walk follows path from the document's top node; it returns the value node
// (nil if the path does not exist) and the line of the deepest key or item
// reached.
func walk(root *yaml.Node, path ...any) (*yaml.Node, int) {
	n := root
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n == nil {
		return nil, 0
	}
	line := n.Line
	for _, p := range path {
		key, value := child(n, p)
		if value == nil {
			return nil, line
		}
		n, line = value, key.Line
	}
	return n, line
}

// child returns the key and value nodes of p (for a sequence index, the item
// twice).
func child(n *yaml.Node, p any) (key, value *yaml.Node) {
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil, nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return n.Content[i], n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
			return n.Content[k], n.Content[k]
		}
	}
	return nil, nil
}
