package spikes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/abbridge/ab_bridge/internal/yamlfile"
)

// LoadMapping reads a mapping file: .json, .yaml or .yml, holding a list of
// entries or {"mapping": [...]}, read as the SDK reads it (see
// MappingEntry). It returns the entries the SDK keeps, a warning for each
// thing the SDK ignores or drops, and an error joining every problem; each
// warning and problem is a *yamlfile.Error naming path:line.
func LoadMapping(path string) ([]MappingEntry, []*yamlfile.Error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read mapping: %w", err)
	}
	var (
		parsed             []parsedEntry
		warnings, problems []*MappingError
	)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		parsed, warnings, problems = entriesFromJSON(data)
	case ".yaml", ".yml":
		parsed, warnings, problems = entriesFromYAML(data)
	default:
		return nil, nil, fmt.Errorf("mapping %s: unknown file type (want .json, .yaml or .yml)", path)
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range InFile(path, problems) {
			errs[i] = p
		}
		return nil, nil, errors.Join(errs...)
	}
	return kept(parsed), InFile(path, warnings), nil
}

// InFile locates problems or warnings of a mapping in file.
func InFile(file string, problems []*MappingError) []*yamlfile.Error {
	out := make([]*yamlfile.Error, len(problems))
	for i, p := range problems {
		out[i] = &yamlfile.Error{File: file, Line: p.Line, Msg: p.Msg}
	}
	return out
}

func joinProblems(problems []*MappingError) error {
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}
