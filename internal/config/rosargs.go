package config

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// ROSArgs is what rcl would make of a node's command line, read without rcl
// so that it is testable without ROS.
type ROSArgs struct {
	NodeName   string            // from -r __node:=, empty when not remapped
	Namespace  string            // from -r __ns:=, "/" when not remapped
	Remaps     map[string]string // topic remappings other than __node and __ns
	ParamFiles []string          // --params-file, in order
	Params     map[string]any    // -p name:=value, YAML-typed
	LogLevel   string            // --log-level (the node-wide one)
	Own        []string          // arguments outside --ros-args blocks, program name excluded
}

// ParseROSArgs splits argv (without the program name) like rcl does: several
// --ros-args blocks, each ended by "--" or the end of argv.
func ParseROSArgs(argv []string) (*ROSArgs, error) {
	a := &ROSArgs{Namespace: "/", Remaps: map[string]string{}, Params: map[string]any{}}
	inROS := false
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		if arg == "--ros-args" {
			inROS = true
			continue
		}
		if !inROS {
			a.Own = append(a.Own, arg)
			continue
		}
		if arg == "--" {
			inROS = false
			continue
		}
		next := func() (string, error) {
			if i+1 >= len(argv) {
				return "", fmt.Errorf("ros args: %s needs a value", arg)
			}
			i++
			return argv[i], nil
		}
		var err error
		switch arg {
		case "-r", "--remap":
			var v string
			if v, err = next(); err == nil {
				err = a.remap(v)
			}
		case "-p", "--param":
			var v string
			if v, err = next(); err == nil {
				err = a.param(v)
			}
		case "--params-file":
			var v string
			if v, err = next(); err == nil {
				a.ParamFiles = append(a.ParamFiles, v)
			}
		case "--log-level":
			var v string
			if v, err = next(); err == nil && !strings.Contains(v, ":=") {
				a.LogLevel = strings.ToLower(v)
			}
		case "-e", "--enclave", "--log-config-file", "--log-file-name":
			_, err = next()
		case "--enable-rosout-logs", "--disable-rosout-logs", "--enable-stdout-logs",
			"--disable-stdout-logs", "--enable-external-lib-logs", "--disable-external-lib-logs":
		default:
			err = fmt.Errorf("ros args: unknown argument %q", arg)
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

func (a *ROSArgs) remap(v string) error {
	from, to, ok := strings.Cut(v, ":=")
	if !ok || from == "" {
		return fmt.Errorf("ros args: remap %q is not from:=to", v)
	}
	// A remap may be scoped to one node ("node:from:=to"); keep only the rule.
	if i := strings.LastIndex(from, ":"); i >= 0 {
		from = from[i+1:]
	}
	switch from {
	case "__node", "__name":
		a.NodeName = to
	case "__ns":
		a.Namespace = to
	default:
		a.Remaps[from] = to
	}
	return nil
}

func (a *ROSArgs) param(v string) error {
	name, raw, ok := strings.Cut(v, ":=")
	if !ok || name == "" {
		return fmt.Errorf("ros args: parameter %q is not name:=value", v)
	}
	var val any
	if err := yaml.Unmarshal([]byte(raw), &val); err != nil {
		val = raw
	}
	a.Params[name] = val
	return nil
}

// FullName is the node's fully qualified name, as parameter files key it.
func (a *ROSArgs) FullName(defaultName string) string {
	name := a.NodeName
	if name == "" {
		name = defaultName
	}
	return path.Join("/", a.Namespace, name)
}

// Parameters resolves the node's parameters: every --params-file in order
// (entries whose key matches the node's full name, wildcards included), then
// -p overrides. Nested maps are flattened with dots, as rcl does.
func (a *ROSArgs) Parameters(defaultName string) (map[string]any, error) {
	full := a.FullName(defaultName)
	out := map[string]any{}
	for _, f := range a.ParamFiles {
		if err := loadParamFile(f, full, out); err != nil {
			return nil, err
		}
	}
	for k, v := range a.Params {
		out[k] = v
	}
	return out, nil
}

func loadParamFile(file, fullName string, out map[string]any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("params file: %w", err)
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("params file %s: %w", file, err)
	}
	// Apply less specific keys first so an exact node name wins over /**.
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return specificity(keys[i]) < specificity(keys[j]) })
	for _, key := range keys {
		if !matchNodeKey(key, fullName) {
			continue
		}
		params, ok := doc[key]["ros__parameters"].(map[string]any)
		if !ok {
			if _, present := doc[key]["ros__parameters"]; !present {
				return fmt.Errorf("params file %s: %q has no ros__parameters", file, key)
			}
			continue
		}
		flatten("", params, out)
	}
	return nil
}

func specificity(key string) int {
	return len(strings.ReplaceAll(strings.ReplaceAll(key, "**", ""), "*", ""))
}

func flatten(prefix string, m map[string]any, out map[string]any) {
	for k, v := range m {
		name := k
		if prefix != "" {
			name = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			flatten(name, sub, out)
			continue
		}
		out[name] = v
	}
}

// matchNodeKey reports whether a parameter file key ("/**", "/ns/*",
// "node", "/ns/node") selects the node with the given full name.
func matchNodeKey(key, fullName string) bool {
	if !strings.HasPrefix(key, "/") {
		key = "/" + key
	}
	return matchSegments(strings.Split(key[1:], "/"), strings.Split(fullName[1:], "/"))
}

func matchSegments(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchSegments(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	if pat[0] != "*" && pat[0] != name[0] {
		return false
	}
	return matchSegments(pat[1:], name[1:])
}
