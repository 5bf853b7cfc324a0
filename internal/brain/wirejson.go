package brain

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// wirePayload is the argument of one of the session's own events, written
// as the JSON the library's encoder writes for its map form: keys sorted,
// numbers and strings as encoding/json writes them, each []byte replaced
// by a placeholder and kept apart as one of the packet's attachments.
//
// The library's encoder walks the map three times (is there binary? a copy
// with special types converted; a copy with placeholders), marshals the
// copy by reflection and copies every attachment into a buffer grown by
// doubling: on the camera load that was a tenth of the node's allocations
// and the largest part of an emit's CPU (pprof). The session's payloads are
// plain maps of a few known types, so writing them directly is short.
type wirePayload struct {
	json        []byte
	attachments [][]byte // the packet's own copies, written as they are
}

// newWirePayload writes v. It fails on what encoding/json would refuse
// (NaN, infinities) and on types the session never sends, rather than let
// the library drop the packet's payload without a word.
func newWirePayload(v map[string]any) (*wirePayload, error) {
	w := &wirePayload{json: make([]byte, 0, 256)}
	var err error
	if w.json, err = w.appendValue(w.json, v); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *wirePayload) appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		return appendJSONFloat(b, x, 64)
	case float32:
		return appendJSONFloat(b, float64(x), 32)
	case []byte:
		b = append(b, `{"_placeholder":true,"num":`...)
		b = strconv.AppendInt(b, int64(len(w.attachments)), 10)
		w.attachments = append(w.attachments, owned(x))
		return append(b, '}'), nil
	case []float64:
		return appendJSONList(b, x, func(b []byte, f float64) ([]byte, error) { return appendJSONFloat(b, f, 64) })
	case []int:
		return appendJSONList(b, x, func(b []byte, n int) ([]byte, error) { return strconv.AppendInt(b, int64(n), 10), nil })
	case []int64:
		return appendJSONList(b, x, func(b []byte, n int64) ([]byte, error) { return strconv.AppendInt(b, n, 10), nil })
	case []string:
		return appendJSONList(b, x, func(b []byte, s string) ([]byte, error) { return appendJSONString(b, s), nil })
	case []any:
		return appendJSONList(b, x, w.appendValue)
	case map[string]any:
		return w.appendObject(b, x)
	}
	return b, fmt.Errorf("brain: a payload value of type %T is not sent", v)
}

// appendObject writes m with its keys sorted, as encoding/json does.
func (w *wirePayload) appendObject(b []byte, m map[string]any) ([]byte, error) {
	var room [16]string
	keys := room[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		var err error
		if b, err = w.appendValue(b, m[k]); err != nil {
			return b, fmt.Errorf("%s: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

func appendJSONList[T any](b []byte, xs []T, each func([]byte, T) ([]byte, error)) ([]byte, error) {
	if xs == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = each(b, x); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// appendJSONFloat writes f as encoding/json does: the shortest form that
// reads back the same, exponent only outside [1e-6, 1e21), and "e-7" for
// "e-07".
func appendJSONFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("brain: %v has no JSON form", f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendJSONString writes s quoted. Printable ASCII that encoding/json
// leaves alone (it escapes <, > and & by default) is copied; anything else
// is rare here (ids and formats come from contracts and configuration) and
// goes through encoding/json itself, so the two cannot differ.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// encode writes the packet the library's encoder would write for
// Emit(event, payload) on namespace nsp: `51-/ab,["io:chunk",{…}]` and
// the attachments, or `2/ab,["learn:reward",{…}]` without any.
func (w *wirePayload) encode(nsp, event string) []types.BufferInterface {
	head := make([]byte, 0, len(w.json)+len(nsp)+len(event)+16)
	if len(w.attachments) > 0 {
		head = append(head, byte('0'+parser.BINARY_EVENT))
		head = strconv.AppendInt(head, int64(len(w.attachments)), 10)
		head = append(head, '-')
	} else {
		head = append(head, byte('0'+parser.EVENT))
	}
	if nsp != "" && nsp != "/" {
		head = append(head, nsp...)
		head = append(head, ',')
	}
	head = append(head, '[')
	head = appendJSONString(head, event)
	head = append(head, ',')
	head = append(head, w.json...)
	head = append(head, ']')
	bufs := make([]types.BufferInterface, 0, 1+len(w.attachments))
	bufs = append(bufs, types.NewStringBuffer(head))
	for _, a := range w.attachments {
		bufs = append(bufs, ownedBytes{&types.BytesBuffer{Buffer: types.NewBuffer(a)}})
	}
	return bufs
}

// wireEvent is the session's own event in a packet the encoder is given,
// or false for any other packet (the library's own, or one with an ack).
func wireEvent(p *parser.Packet) (string, *wirePayload, bool) {
	if p.Type != parser.EVENT || p.Id != nil {
		return "", nil, false
	}
	args, ok := p.Data.([]any)
	if !ok || len(args) != 2 {
		return "", nil, false
	}
	event, ok := args[0].(string)
	w, isWire := args[1].(*wirePayload)
	if !ok || !isWire {
		return "", nil, false
	}
	return event, w, true
}
