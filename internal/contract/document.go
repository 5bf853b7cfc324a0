package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A contract document is read here the way the reference SDK's HTTP client
// reads it (Python's json.loads of the body bytes), so that the digest of
// its stable view comes out the same.

// maxIntDigits is CPython's default limit on decimal digits when converting
// between int and str (sys.get_int_max_str_digits()): json.loads and int()
// raise beyond it, so a contract holding such a number cannot be hashed by
// the SDK.
const maxIntDigits = 4300

// maxDepth bounds how deeply a contract may nest. Python's json recursion
// gives out somewhere between about 1000 and 1500 levels depending on its
// stack; a contract nesting this deep is broken, not big.
const maxDepth = 512

// ErrNotPythonJSON is wrapped by every error about a document or value that
// the reference SDK could not load or hash the same way (invalid UTF-8, lone
// surrogates, NaN, numbers that lost their literal, ...).
var ErrNotPythonJSON = errors.New("not hashable like the reference SDK")

// DecodeDocument reads a contract document as the SDK's client does,
// keeping every number's literal as a json.Number (Python keeps 1 and 1.0
// apart, and integers of any size). A UTF-8 byte order mark is skipped.
// Lone surrogates (\ud800, or their UTF-8 bytes, which Python lets through)
// are kept, as the bytes of a surrogate: a string holding one is not valid
// UTF-8, so hashing it fails, as it fails in Python, but only if it is part
// of the stable view.
//
// Refused with an error, because Python refuses them too: invalid UTF-8,
// integers of more than 4300 digits, data after the document. Refused
// although Python reads them: the non-JSON literals NaN and Infinity (the
// server, being JavaScript, never writes them), nesting deeper than 512,
// bodies in UTF-16 or UTF-32, and anything but an object at the top.
func DecodeDocument(raw []byte) (map[string]any, error) {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	marked, mark, err := markSurrogates(raw)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(marked) {
		return nil, fmt.Errorf("contract: document is not valid UTF-8: %w", ErrNotPythonJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(marked))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("contract: data after the document")
	}
	if err := checkNumbers(doc, 0); err != nil {
		return nil, err
	}
	if mark != 0 {
		doc = restoreSurrogates(doc, string(mark))
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("contract: document is %s, want an object", jsonKind(doc))
	}
	return m, nil
}

// A lone surrogate is stood in for, while encoding/json reads the document
// (it would turn the surrogate into U+FFFD), by a mark: a noncharacter the
// document does not hold, then the surrogate's four hex digits.
const (
	firstMark = 0xfdd0
	lastMark  = 0xfdef
)

// markSurrogates rewrites each lone surrogate of raw, escaped or as UTF-8
// bytes, into a mark, and returns the mark (0 if raw has no lone surrogate,
// and then raw as is). A surrogate pair escaped as two \u escapes is one
// character, as in Python.
func markSurrogates(raw []byte) ([]byte, rune, error) {
	var out []byte // nil until the first lone surrogate
	var mark rune
	last := 0
	replace := func(at, end int, r rune) error {
		if mark == 0 {
			if mark = freeMark(raw); mark == 0 {
				return fmt.Errorf("contract: document holds lone surrogates and every character from U+%04X to U+%04X, so the bridge cannot keep the surrogates apart: %w", firstMark, lastMark, ErrNotPythonJSON)
			}
		}
		out = append(out, raw[last:at]...)
		out = fmt.Appendf(out, `\u%04x%04x`, mark, r)
		last = end
		return nil
	}
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw) && raw[i+1] != 'u':
			i++
		case raw[i] == '\\':
			r := escapedRune(raw, i)
			if r < 0xd800 || r > 0xdfff {
				continue
			}
			if r <= 0xdbff {
				if lo := escapedRune(raw, i+6); lo >= 0xdc00 && lo <= 0xdfff {
					i += 11
					continue
				}
			}
			if err := replace(i, i+6, r); err != nil {
				return nil, 0, err
			}
			i += 5
		case raw[i] == 0xed && i+2 < len(raw) && raw[i+1] >= 0xa0 && raw[i+1] <= 0xbf && raw[i+2] >= 0x80 && raw[i+2] <= 0xbf:
			r := rune(0xd000) | rune(raw[i+1]&0x3f)<<6 | rune(raw[i+2]&0x3f)
			if err := replace(i, i+3, r); err != nil {
				return nil, 0, err
			}
			i += 2
		}
	}
	if out == nil {
		return raw, 0, nil
	}
	return append(out, raw[last:]...), mark, nil
}

// freeMark is a noncharacter that raw holds neither as UTF-8 nor escaped.
func freeMark(raw []byte) rune {
	lower := bytes.ToLower(raw)
	for r := rune(firstMark); r <= lastMark; r++ {
		if !bytes.Contains(raw, utf8.AppendRune(nil, r)) && !bytes.Contains(lower, fmt.Appendf(nil, `\u%04x`, r)) {
			return r
		}
	}
	return 0
}

// escapedRune is the code unit of the \uXXXX escape at raw[i:], or -1.
func escapedRune(raw []byte, i int) rune {
	if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
		return -1
	}
	n, err := strconv.ParseUint(string(raw[i+2:i+6]), 16, 32)
	if err != nil {
		return -1
	}
	return rune(n)
}

// restoreSurrogates replaces the marks left by markSurrogates, in keys and
// values, by the surrogates' bytes (encoded like any other code point,
// which UTF-8 forbids for surrogates).
func restoreSurrogates(v any, mark string) any {
	switch x := v.(type) {
	case string:
		return restoreString(x, mark)
	case []any:
		for i, e := range x {
			x[i] = restoreSurrogates(e, mark)
		}
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[restoreString(k, mark)] = restoreSurrogates(e, mark)
		}
		return m
	}
	return v
}

func restoreString(s, mark string) string {
	if !strings.Contains(s, mark) {
		return s
	}
	var b strings.Builder
	for {
		at := strings.Index(s, mark)
		if at < 0 || at+len(mark)+4 > len(s) {
			break
		}
		n, err := strconv.ParseUint(s[at+len(mark):at+len(mark)+4], 16, 32)
		if err != nil {
			break
		}
		b.WriteString(s[:at])
		b.Write([]byte{0xe0 | byte(n>>12), 0x80 | byte(n>>6)&0x3f, 0x80 | byte(n)&0x3f})
		s = s[at+len(mark)+4:]
	}
	b.WriteString(s)
	return b.String()
}

// loneSurrogate finds a surrogate's bytes in s, as restoreString writes
// them; ok is false if s has none.
func loneSurrogate(s string) (r rune, ok bool) {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf {
			return rune(0xd000) | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
		}
	}
	return 0, false
}

// checkNumbers walks a decoded document for what Python's json.loads would
// refuse: too many integer digits, too deep.
func checkNumbers(v any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("contract: document nests deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if err := checkNumbers(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := checkNumbers(e, depth+1); err != nil {
				return err
			}
		}
	case json.Number:
		if digits := strings.TrimPrefix(string(x), "-"); isIntLiteral(x) && len(digits) > maxIntDigits {
			return fmt.Errorf("contract: integer of %d digits exceeds Python's limit of %d: %w",
				len(digits), maxIntDigits, ErrNotPythonJSON)
		}
	}
	return nil
}

// isIntLiteral says whether Python's json would load the literal as an int.
func isIntLiteral(n json.Number) bool {
	return !strings.ContainsAny(string(n), ".eE")
}
