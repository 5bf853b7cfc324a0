package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// View is the stable view of a contract: the part reward and deviation
// policies depend on, without what changes from run to run (runId,
// realtime, ...). It is what the reference SDK hashes and writes to
// _contract.json, so a policies folder synced by either is recognised by
// both. The io lists hold their entries as the server sent them, every
// field kept.
type View struct {
	Constants   ViewConstants
	Inputs      []any
	Outputs     []any
	Feedback    []any
	STDP3Layers []any
}

// ViewConstants are the contract's constants read as Python's int() reads
// them. They are unbounded integers because the SDK's are: nothing here
// checks that they are sensible (contract.Parse does).
type ViewConstants struct {
	Gamma         *big.Int
	OutputWindowN *big.Int
	FeedbackN     *big.Int
	FeedbackT     *big.Int
}

// StableView builds the view the reference SDK builds from a contract
// document decoded by DecodeDocument, following the SDK's reading where the
// protocol says less:
//
//   - "constants", "io" and "io.stdp3" that are null, false, 0, "" or empty
//     count as absent; other non-objects are errors (the SDK raises).
//   - A constant present as null, a list, an object, a non-integer string
//     ("48.0") or an infinity is an error (int() raises); floats are
//     truncated toward zero (48.9 → 48, -48.9 → -48); true is 1, false 0;
//     strings are read as int() reads them (" 48 ", "+48", "4_8", "٤٨").
//   - feedbackT falls back to FEEDBACK_WINDOW_T only when feedbackT is
//     absent, not when it is null.
//   - io lists that are null, false, 0, "" or empty become []; a list is
//     kept as is, entries of any type; a string becomes the list of its
//     characters (the SDK's list("abc")); numbers and true are errors. A
//     non-empty object is an error here although the SDK would hash its
//     keys in document order, which a decoded map no longer has.
//   - Keys of "io" other than the four are dropped, like every top-level
//     key but "constants" and "io".
func StableView(doc map[string]any) (*View, error) {
	consts, err := optionalObject(doc["constants"], "constants")
	if err != nil {
		return nil, err
	}
	io, err := optionalObject(doc["io"], "io")
	if err != nil {
		return nil, err
	}
	stdp3, err := optionalObject(io["stdp3"], "io.stdp3")
	if err != nil {
		return nil, err
	}
	v := &View{}
	if v.Constants, err = viewConstants(consts); err != nil {
		return nil, err
	}
	lists := []struct {
		dst  *[]any
		src  any
		path string
	}{
		{&v.Inputs, io["inputs"], "io.inputs"},
		{&v.Outputs, io["outputs"], "io.outputs"},
		{&v.Feedback, io["feedback"], "io.feedback"},
		{&v.STDP3Layers, stdp3["layers"], "io.stdp3.layers"},
	}
	for _, l := range lists {
		if *l.dst, err = viewList(l.src, l.path); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// Digest is the sha256 (lower-case hex) of a contract document's stable
// view, as the reference SDK computes it.
func Digest(doc map[string]any) (string, error) {
	v, err := StableView(doc)
	if err != nil {
		return "", err
	}
	return v.Digest()
}

// DigestJSON is Digest of a contract document still in JSON.
func DigestJSON(raw []byte) (string, error) {
	doc, err := DecodeDocument(raw)
	if err != nil {
		return "", err
	}
	return Digest(doc)
}

// Canonical is the view as the SDK hashes it: json.dumps with sorted keys,
// no spaces, raw UTF-8.
func (v *View) Canonical() ([]byte, error) {
	b, err := CanonicalJSON(v.tree())
	if err != nil {
		return nil, fmt.Errorf("contract: stable view: %w", err)
	}
	return b, nil
}

// Digest is the sha256 (lower-case hex) of the canonical view.
func (v *View) Digest() (string, error) {
	b, err := v.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Indented is the view as _contract.json holds it: the SDK's
// json.dumps(view, indent=2, ensure_ascii=False) plus a newline. The view's
// own keys keep the SDK's order; keys inside io entries are sorted, where
// the SDK keeps the server's order (a decoded map has none), so the two
// files are equal whenever the server sent those keys sorted.
func (v *View) Indented() ([]byte, error) {
	b, err := indentedJSON(v.tree())
	if err != nil {
		return nil, fmt.Errorf("contract: stable view: %w", err)
	}
	return append(b, '\n'), nil
}

// tree is the view as a JSON value, members in the SDK's insertion order.
func (v *View) tree() object {
	k := v.Constants
	return object{
		{"constants", object{
			{"gamma", k.Gamma},
			{"outputWindowN", k.OutputWindowN},
			{"feedbackN", k.FeedbackN},
			{"feedbackT", k.FeedbackT},
		}},
		{"io", object{
			{"inputs", nonNil(v.Inputs)},
			{"outputs", nonNil(v.Outputs)},
			{"feedback", nonNil(v.Feedback)},
			{"stdp3", object{{"layers", nonNil(v.STDP3Layers)}}},
		}},
	}
}

func nonNil(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func viewConstants(m map[string]any) (ViewConstants, error) {
	var k ViewConstants
	var err error
	fields := []struct {
		dst *(*big.Int)
		key string
		def int64
	}{
		{&k.Gamma, "gamma", DefaultGamma},
		{&k.OutputWindowN, "outputWindowN", DefaultOutputWindowN},
		{&k.FeedbackN, "feedbackN", DefaultFeedbackN},
	}
	for _, f := range fields {
		if *f.dst, err = viewConstant(m, f.key, f.def); err != nil {
			return k, err
		}
	}
	key := "feedbackT"
	if _, ok := m[key]; !ok {
		key = "FEEDBACK_WINDOW_T"
	}
	k.FeedbackT, err = viewConstant(m, key, DefaultFeedbackT)
	return k, err
}

// viewConstant is int(consts.get(key, def)): the default applies only when
// the key is absent.
func viewConstant(m map[string]any, key string, def int64) (*big.Int, error) {
	v, ok := m[key]
	if !ok {
		return big.NewInt(def), nil
	}
	n, err := pyInt(v)
	if err != nil {
		return nil, fmt.Errorf("contract: constants.%s: %w", key, err)
	}
	return n, nil
}

// optionalObject is Python's `x or {}` followed by a .get: a falsy value is
// an empty object, another non-object cannot be read.
func optionalObject(v any, path string) (map[string]any, error) {
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	if !pyTruthy(v) {
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("contract: %s is %s, want an object: %w", path, jsonKind(v), ErrNotPythonJSON)
}

// viewList is Python's list(x or []).
func viewList(v any, path string) ([]any, error) {
	if !pyTruthy(v) {
		return []any{}, nil
	}
	switch x := v.(type) {
	case []any:
		return append([]any{}, x...), nil
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("contract: %s is a string that is not valid UTF-8 (a lone surrogate?): %w", path, ErrNotPythonJSON)
		}
		chars := make([]any, 0, len(x))
		for _, r := range x {
			chars = append(chars, string(r))
		}
		return chars, nil
	case map[string]any:
		return nil, fmt.Errorf("contract: %s is an object, want a list (the SDK would keep its keys in an order a decoded map has lost): %w", path, ErrNotPythonJSON)
	}
	return nil, fmt.Errorf("contract: %s is %s, want a list: %w", path, jsonKind(v), ErrNotPythonJSON)
}

// pyTruthy is Python's bool() of a decoded JSON value.
func pyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case json.Number:
		if isIntLiteral(x) {
			n, ok := new(big.Int).SetString(string(x), 10)
			return !ok || n.Sign() != 0
		}
		f, err := strconv.ParseFloat(string(x), 64)
		return err != nil || f != 0
	case float64:
		return x != 0
	case int:
		return x != 0
	case int64:
		return x != 0
	case *big.Int:
		return x.Sign() != 0
	}
	return true
}
