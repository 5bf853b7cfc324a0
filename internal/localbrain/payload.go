package localbrain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// Chunk is one io:chunk as received.
type Chunk struct {
	InputID string
	Kind    string
	Format  string
	Seq     int64
	T       float64 // client's Unix time in seconds
	Meta    map[string]any
	Len     int // bytes of Data
	Data    []byte
	At      time.Time
}

// RobotState is one robot:state as received.
type RobotState struct {
	Q, DQ   []float64
	GripPos *float64
	DT      *float64
	At      time.Time
}

// Reward is one learn:reward as received.
type Reward struct {
	Cycle   int
	Global  float64
	ByLayer map[string]float64
	At      time.Time
}

// Join is one socket entering a run's room.
type Join struct {
	SocketID string
	Auto     bool // put back by the server after a reconnect without run:join
	At       time.Time
}

// Malformed is one event that failed validation.
type Malformed struct {
	Event  string
	Reason string
	At     time.Time
}

// errNoPayload marks an event that carries no JSON object.
var errNoPayload = errors.New("payload is not a JSON object")

// payloadOf returns the event's object and the runId it names ("" if none).
// args holds the event's arguments without any acknowledgement callback.
func payloadOf(args []any) (map[string]any, string, error) {
	if len(args) == 0 {
		return nil, "", fmt.Errorf("%w: no payload", errNoPayload)
	}
	m, ok := args[0].(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("%w (got %T)", errNoPayload, args[0])
	}
	runID, _ := m["runId"].(string)
	return m, runID, nil
}

// decodeChunk validates an io:chunk against the project's contract and
// encodes it for the network (encode.go); images may be nil.
func decodeChunk(p *project, m map[string]any, at time.Time, images *imageMemo) (c Chunk, enc encoded, err error) {
	c = Chunk{At: at}
	if c.InputID, err = str(m, "inputId"); err != nil {
		return c, enc, err
	}
	in, known := p.input(c.InputID)
	if !known {
		return c, enc, fmt.Errorf("unknown input %q", c.InputID)
	}
	if c.Kind, err = str(m, "kind"); err != nil {
		return c, enc, err
	}
	if c.Kind != in.Kind {
		return c, enc, fmt.Errorf("input %s has kind %s, chunk says %s", c.InputID, in.Kind, c.Kind)
	}
	if c.Format, err = str(m, "format"); err != nil {
		return c, enc, err
	}
	seq, err := num(m, "seq")
	if err != nil {
		return c, enc, err
	}
	c.Seq = int64(seq)
	if c.T, err = num(m, "t"); err != nil {
		return c, enc, err
	}
	if raw, present := m["meta"]; present && raw != nil {
		meta, isMap := raw.(map[string]any)
		if !isMap {
			return c, enc, fmt.Errorf("meta is %T, want an object", raw)
		}
		c.Meta = meta
	}
	buf, isBinary := m["data"].(types.BufferInterface)
	if !isBinary {
		return c, enc, fmt.Errorf("data is %T, want a binary attachment", m["data"])
	}
	// A copy: the record outlives the library's buffer.
	c.Data = bytes.Clone(buf.Bytes())
	c.Len = len(c.Data)
	if err := checkFormat(p.Contract.Constants, c); err != nil {
		return c, enc, err
	}
	enc, err = encodeChunk(p, in, c, images)
	return c, enc, err
}

// checkFormat checks a chunk's bytes against what its format promises.
// Formats the protocol does not name are accepted as opaque bytes.
func checkFormat(k contract.Constants, c Chunk) error {
	switch c.Format {
	case "rawtick_f32x3":
		if c.Kind != contract.KindProprioception {
			return fmt.Errorf("format rawtick_f32x3 on a %s input", c.Kind)
		}
		if c.Len != 12 {
			return fmt.Errorf("rawtick_f32x3 needs 12 bytes, got %d", c.Len)
		}
		return finiteF32(c.Data)
	case "raster_f32":
		t, n := metaInt(c.Meta, "T", k.Gamma), metaInt(c.Meta, "N", k.FeedbackN)
		if c.Len != 4*t*n {
			return fmt.Errorf("raster_f32 of %dx%d needs %d bytes, got %d", t, n, 4*t*n, c.Len)
		}
		return finiteF32(c.Data)
	case "deviation_f32":
		t := metaInt(c.Meta, "T", k.Gamma)
		if c.Len != 4*t {
			return fmt.Errorf("deviation_f32 of T=%d needs %d bytes, got %d", t, 4*t, c.Len)
		}
		return finiteF32(c.Data)
	case "pcm16":
		if c.Len%2 != 0 {
			return fmt.Errorf("pcm16 needs an even byte count, got %d", c.Len)
		}
	case "jpeg":
		if c.Len < 2 || c.Data[0] != 0xFF || c.Data[1] != 0xD8 {
			return errors.New("jpeg data does not start with a JPEG marker")
		}
	}
	return nil
}

// decodeState validates a robot:state.
func decodeState(m map[string]any, at time.Time) (RobotState, error) {
	s := RobotState{At: at}
	state, ok := m["state"].(map[string]any)
	if !ok {
		return s, fmt.Errorf("state is %T, want an object", m["state"])
	}
	var err error
	if s.Q, err = numList(state, "q"); err != nil {
		return s, err
	}
	if s.DQ, err = numList(state, "dq"); err != nil {
		return s, err
	}
	if raw, present := state["grip"]; present && raw != nil {
		grip, isMap := raw.(map[string]any)
		if !isMap {
			return s, fmt.Errorf("state.grip is %T, want an object", raw)
		}
		if _, has := grip["pos"]; has {
			pos, err := num(grip, "pos")
			if err != nil {
				return s, fmt.Errorf("state.grip: %w", err)
			}
			s.GripPos = &pos
		}
	}
	if _, has := state["dt"]; has {
		dt, err := num(state, "dt")
		if err != nil {
			return s, fmt.Errorf("state: %w", err)
		}
		s.DT = &dt
	}
	return s, nil
}

// decodeReward validates a learn:reward against the project's STDP3 layers.
func decodeReward(p *project, m map[string]any, at time.Time) (Reward, error) {
	r := Reward{At: at, ByLayer: map[string]float64{}}
	if _, has := m["cycle"]; has {
		c, err := num(m, "cycle")
		if err != nil {
			return r, err
		}
		r.Cycle = int(c)
	}
	var err error
	if r.Global, err = unit(m, "globalReward"); err != nil {
		return r, err
	}
	raw, present := m["byLayer"]
	if !present || raw == nil {
		return r, nil
	}
	layers, ok := raw.(map[string]any)
	if !ok {
		return r, fmt.Errorf("byLayer is %T, want an object", raw)
	}
	for name := range layers {
		if !p.isLayer(name) {
			return r, fmt.Errorf("byLayer names %q, not an STDP3 layer of %s", name, p.ID)
		}
		if r.ByLayer[name], err = unit(layers, name); err != nil {
			return r, fmt.Errorf("byLayer: %w", err)
		}
	}
	return r, nil
}

func str(m map[string]any, key string) (string, error) {
	s, ok := m[key].(string)
	if !ok || s == "" {
		return "", fmt.Errorf("%s is %T, want a non-empty string", key, m[key])
	}
	return s, nil
}

func num(m map[string]any, key string) (float64, error) {
	f, ok := m[key].(float64)
	if !ok {
		return 0, fmt.Errorf("%s is %T, want a number", key, m[key])
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is not finite", key)
	}
	return f, nil
}

// unit reads a number that must lie in [0, 1].
func unit(m map[string]any, key string) (float64, error) {
	f, err := num(m, key)
	if err != nil {
		return 0, err
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%s=%g is outside [0, 1]", key, f)
	}
	return f, nil
}

func numList(m map[string]any, key string) ([]float64, error) {
	raw, present := m[key]
	if !present || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("state.%s is %T, want a list of numbers", key, raw)
	}
	out := make([]float64, len(list))
	for i, v := range list {
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("state.%s[%d] is %v, want a finite number", key, i, v)
		}
		out[i] = f
	}
	return out, nil
}

// metaInt reads a positive integer from a chunk's meta, else def.
func metaInt(meta map[string]any, key string, def int) int {
	if f, ok := meta[key].(float64); ok && f >= 1 && f <= 1<<20 {
		return int(f)
	}
	return def
}

// chunkRange is the range a raw tick is normalised over: the chunk's own
// lo/hi when it sends a usable pair (raw encoder ticks), else the contract's.
func chunkRange(in contract.Port, meta map[string]any) (lo, hi float64) {
	mlo, okLo := meta["lo"].(float64)
	mhi, okHi := meta["hi"].(float64)
	if okLo && okHi && mhi > mlo && !math.IsInf(mhi-mlo, 0) {
		return mlo, mhi
	}
	return rangeOf(in)
}

func f32(b []byte, i int) float64 {
	return float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
}

func finiteF32(b []byte) error {
	for i := range len(b) / 4 {
		if v := f32(b, i); math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("value %d is not finite", i)
		}
	}
	return nil
}
