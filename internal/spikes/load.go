package spikes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadMapping reads a mapping file: .json, .yaml or .yml, holding a list of
// entries or {"mapping": [...]}. Decoding is strict (see MappingEntry):
// every problem is reported with its line, and an entry without node_id or
// channel is an error here where the SDK would drop it silently.
func LoadMapping(path string) ([]MappingEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	var (
		entries  []MappingEntry
		problems []*MappingError
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		entries, problems = entriesFromJSON(data)
	case ".yaml", ".yml":
		entries, problems = entriesFromYAML(data)
	default:
		return nil, fmt.Errorf("mapping %s: unknown file type (want .json, .yaml or .yml)", path)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("mapping %s: %w", path, joinProblems(problems))
	}
	return entries, nil
}

func joinProblems(problems []*MappingError) error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}
