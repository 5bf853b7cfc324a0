package spikes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strconv"
	"strings"
)

// UnmarshalJSON decodes one entry as the SDK reads it (see MappingEntry).
// Problems come back joined, each a *MappingError whose line counts from
// the entry's first line; so does an entry the SDK would drop, since a lone
// entry cannot be dropped. Warnings are not reported here: LoadMapping
// returns them.
func (e *MappingEntry) UnmarshalJSON(data []byte) error {
	p, _, problems := entryFromJSON(data, 1)
	if len(problems) == 0 && !p.keep {
		problems = p.dropped
	}
	if len(problems) > 0 {
		return joinProblems(problems)
	}
	*e = p.entry
	return nil
}

// jsonText locates offsets of one JSON text in lines.
type jsonText struct {
	data []byte
	line int // line of data[0]
}

func (j jsonText) lineAt(off int64) int {
	if off > int64(len(j.data)) {
		off = int64(len(j.data))
	}
	return j.line + bytes.Count(j.data[:off], []byte{'\n'})
}

// startOf skips the blanks and separators before the next value.
func (j jsonText) startOf(off int64) int64 {
	for off < int64(len(j.data)) {
		switch j.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (j jsonText) syntaxProblem(err error) *MappingError {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &MappingError{Line: j.lineAt(se.Offset), Msg: "invalid JSON: " + se.Error()}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return &MappingError{Line: j.lineAt(int64(len(j.data))), Msg: "invalid JSON: unexpected end"}
	}
	return &MappingError{Line: j.line, Msg: "invalid JSON: " + err.Error()}
}

// entryFromJSON walks one entry object key by key, so that each key keeps
// its line and a repeated key is seen (the last one counts, as in Python).
func entryFromJSON(data []byte, line int) (parsedEntry, []*MappingError, []*MappingError) {
	j := jsonText{data: data, line: line}
	b := newEntryBuilder()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return parsedEntry{}, nil, []*MappingError{j.syntaxProblem(err)}
	}
	if tok != json.Delim('{') {
		// The SDK skips what is not a dict. (Whoever handed data over has
		// checked it is JSON: encoding/json, or entriesFromJSON.)
		return skippedEntry(line, tokenName(tok))
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return parsedEntry{}, nil, []*MappingError{j.syntaxProblem(err)}
		}
		key, _ := tok.(string)
		keyLine := j.lineAt(dec.InputOffset())
		var v any
		if err := dec.Decode(&v); err != nil {
			return parsedEntry{}, nil, []*MappingError{j.syntaxProblem(err)}
		}
		b.set(key, jsonValue(v), keyLine)
	}
	if _, err := dec.Token(); err != nil {
		return parsedEntry{}, nil, []*MappingError{j.syntaxProblem(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return parsedEntry{}, nil, []*MappingError{{Line: j.lineAt(dec.InputOffset()), Msg: "unexpected data after the mapping entry"}}
	}
	return b.parsed(line)
}

// jsonValue turns encoding/json's numbers into Python's: an integer when
// written without fraction or exponent, else a float (too large: ±inf, as
// Python's json reads it).
func jsonValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, ok := new(big.Int).SetString(s, 10); ok {
				return n
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case []any:
		for i := range x {
			x[i] = jsonValue(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = jsonValue(x[k])
		}
	}
	return v
}

// entriesFromJSON decodes a whole mapping document: a list of entries, or an
// object whose only key is "mapping" holding that list.
func entriesFromJSON(data []byte) ([]parsedEntry, []*MappingError, []*MappingError) {
	j := jsonText{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, nil, []*MappingError{{Msg: "the mapping file is empty"}}
	}
	if err != nil {
		return nil, nil, []*MappingError{j.syntaxProblem(err)}
	}
	wrapped := tok == json.Delim('{')
	if wrapped {
		if tok, err = dec.Token(); err != nil {
			return nil, nil, []*MappingError{j.syntaxProblem(err)}
		}
		if tok != "mapping" {
			return nil, nil, []*MappingError{{Line: j.lineAt(dec.InputOffset()), Msg: `a mapping file is a list of entries, or an object with the one key "mapping"`}}
		}
		if tok, err = dec.Token(); err != nil {
			return nil, nil, []*MappingError{j.syntaxProblem(err)}
		}
	}
	if tok != json.Delim('[') {
		return nil, nil, []*MappingError{{Line: j.lineAt(dec.InputOffset()), Msg: "the mapping must be a list of entries, got " + tokenName(tok)}}
	}
	var (
		entries            []parsedEntry
		warnings, problems []*MappingError
	)
	for dec.More() {
		start := j.startOf(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, warnings, append(problems, j.syntaxProblem(err))
		}
		e, w, p := entryFromJSON(raw, j.lineAt(start))
		entries = append(entries, e)
		warnings = append(warnings, w...)
		problems = append(problems, p...)
	}
	if _, err := dec.Token(); err != nil { // the list's ]
		return nil, warnings, append(problems, j.syntaxProblem(err))
	}
	if wrapped {
		tok, err := dec.Token()
		if err != nil {
			return nil, warnings, append(problems, j.syntaxProblem(err))
		}
		if tok != json.Delim('}') {
			return nil, warnings, append(problems, &MappingError{Line: j.lineAt(dec.InputOffset()), Msg: `a mapping file is a list of entries, or an object with the one key "mapping"`})
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, warnings, append(problems, &MappingError{Line: j.lineAt(dec.InputOffset()), Msg: "unexpected data after the mapping"})
	}
	return entries, warnings, problems
}

func tokenName(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "a list"
		}
		return "an object"
	case nil:
		return "null"
	}
	return typeName(tok)
}
