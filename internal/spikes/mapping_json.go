package spikes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// UnmarshalJSON decodes one entry strictly (see MappingEntry). Problems come
// back joined, each a *MappingError whose line counts from the entry's
// first line.
func (e *MappingEntry) UnmarshalJSON(data []byte) error {
	entry, problems := entryFromJSON(data, 1)
	if len(problems) > 0 {
		return joinProblems(problems)
	}
	*e = entry
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
// its line and a repeated key is caught (encoding/json keeps the last).
func entryFromJSON(data []byte, line int) (MappingEntry, []*MappingError) {
	j := jsonText{data: data, line: line}
	b := newEntryBuilder()
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return MappingEntry{}, []*MappingError{j.syntaxProblem(err)}
	}
	if tok != json.Delim('{') {
		b.fail(line, "a mapping entry must be an object with node_id and channel, got %s", tokenName(tok))
		return MappingEntry{}, b.problem
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return MappingEntry{}, []*MappingError{j.syntaxProblem(err)}
		}
		key, _ := tok.(string)
		keyLine := j.lineAt(dec.InputOffset())
		var v any
		if err := dec.Decode(&v); err != nil {
			return MappingEntry{}, []*MappingError{j.syntaxProblem(err)}
		}
		b.set(key, v, keyLine)
	}
	if _, err := dec.Token(); err != nil {
		return MappingEntry{}, []*MappingError{j.syntaxProblem(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return MappingEntry{}, []*MappingError{{Line: j.lineAt(dec.InputOffset()), Msg: "unexpected data after the mapping entry"}}
	}
	return b.finish(line)
}

// entriesFromJSON decodes a whole mapping document: a list of entries, or an
// object whose only key is "mapping" holding that list.
func entriesFromJSON(data []byte) ([]MappingEntry, []*MappingError) {
	j := jsonText{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, []*MappingError{{Msg: "the mapping file is empty"}}
	}
	if err != nil {
		return nil, []*MappingError{j.syntaxProblem(err)}
	}
	wrapped := tok == json.Delim('{')
	if wrapped {
		if tok, err = dec.Token(); err != nil {
			return nil, []*MappingError{j.syntaxProblem(err)}
		}
		if tok != "mapping" {
			return nil, []*MappingError{{Line: j.lineAt(dec.InputOffset()), Msg: `a mapping file is a list of entries, or an object with the one key "mapping"`}}
		}
		if tok, err = dec.Token(); err != nil {
			return nil, []*MappingError{j.syntaxProblem(err)}
		}
	}
	if tok != json.Delim('[') {
		return nil, []*MappingError{{Line: j.lineAt(dec.InputOffset()), Msg: "the mapping must be a list of entries, got " + tokenName(tok)}}
	}
	var (
		entries  []MappingEntry
		problems []*MappingError
	)
	for dec.More() {
		start := j.startOf(dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, append(problems, j.syntaxProblem(err))
		}
		e, p := entryFromJSON(raw, j.lineAt(start))
		entries = append(entries, e)
		problems = append(problems, p...)
	}
	if _, err := dec.Token(); err != nil { // the list's ]
		return nil, append(problems, j.syntaxProblem(err))
	}
	if wrapped {
		tok, err := dec.Token()
		if err != nil {
			return nil, append(problems, j.syntaxProblem(err))
		}
		if tok != json.Delim('}') {
			return nil, append(problems, &MappingError{Line: j.lineAt(dec.InputOffset()), Msg: `a mapping file is a list of entries, or an object with the one key "mapping"`})
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, append(problems, &MappingError{Line: j.lineAt(dec.InputOffset()), Msg: "unexpected data after the mapping"})
	}
	return entries, problems
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
