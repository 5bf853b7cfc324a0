package bridge

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/contract"
)

// inputState is one configured input and what has been sent for it.
type inputState struct {
	conf    inputConf
	seq     int64
	prev    float64 // last raw tick sent (Proprioception)
	hasPrev bool
}

type inputConf struct {
	id, kind, format string
	joint            int // index into the configured joints (Proprioception)
	lo, hi           float64
	maxAge           time.Duration
}

// newInputs resolves each configured input against the joints and the
// contract: an input the brain does not have is a configuration error.
func newInputs(conf Config, joints []string) (map[string]*inputState, error) {
	ports := map[string]contract.Port{}
	for _, p := range conf.Contract.IO.Inputs {
		ports[p.ID] = p
	}
	out := make(map[string]*inputState, len(conf.Inputs))
	for _, in := range conf.Inputs {
		port, ok := ports[in.ID]
		if !ok {
			return nil, fmt.Errorf("bridge: input %q is not in the brain's contract", in.ID)
		}
		if port.Kind != "" && port.Kind != in.Kind {
			return nil, fmt.Errorf("bridge: input %q is %s in config but %s in the contract", in.ID, in.Kind, port.Kind)
		}
		c := inputConf{id: in.ID, kind: in.Kind, format: in.Format, joint: -1, maxAge: in.MaxAge}
		if in.Kind == contract.KindProprioception {
			for i, n := range joints {
				if n == in.Joint {
					c.joint = i
				}
			}
			c.lo, c.hi = rangeOf(in.Lo, port.Extra["lo"], -math.Pi), rangeOf(in.Hi, port.Extra["hi"], math.Pi)
		}
		if c.format == "" && in.Kind == contract.KindFeedback {
			c.format = "deviation_f32"
		}
		out[in.ID] = &inputState{conf: c}
	}
	return out, nil
}

func rangeOf(configured *float64, fromContract any, def float64) float64 {
	if configured != nil {
		return *configured
	}
	if f, ok := fromContract.(float64); ok {
		return f
	}
	return def
}

// answerNeed sends one chunk per need item that has a provider; items
// without one are reported and skipped (the brain falls back to a default).
func (b *Bridge) answerNeed(n *brain.Need) {
	b.stats.needs.Add(1)
	for _, item := range n.Needs {
		in, ok := b.inputs[item.ID]
		if !ok {
			b.stats.missingProvider.Add(1)
			b.warnf("no_provider:"+item.ID, "no input configured for a brain need", "input", item.ID, "kind", item.Kind, "cycle", n.Cycle)
			continue
		}
		chunk, err := b.buildChunk(in, n)
		if err != nil {
			b.stats.staleInputs.Add(1)
			b.warnf("stale:"+item.ID, "input not sent", "input", item.ID, "cycle", n.Cycle, "err", err)
			continue
		}
		if err := b.brain.SendChunk(chunk); err != nil {
			b.stats.failedChunks.Add(1)
			b.warnf("send_chunk", "io:chunk not sent", "input", item.ID, "err", err)
			continue
		}
		b.stats.chunks.Add(1)
	}
	if n.DeadlineMs > 0 && !n.At.IsZero() {
		if late := time.Since(n.At); late > time.Duration(n.DeadlineMs)*time.Millisecond {
			b.stats.lateNeeds.Add(1)
			b.warnf("late_need", "io:need answered after its deadline", "cycle", n.Cycle, "took", late, "deadline_ms", n.DeadlineMs)
		}
	}
}

func (b *Bridge) buildChunk(in *inputState, n *brain.Need) (brain.Chunk, error) {
	c := in.conf
	var chunk brain.Chunk
	switch c.kind {
	case contract.KindProprioception:
		sl := b.joints.joint(c.joint)
		if !sl.valid {
			return chunk, fmt.Errorf("no joint_states sample for joint %q yet", b.conf.Joints[c.joint].Name)
		}
		if age := time.Since(sl.received); c.maxAge > 0 && age > c.maxAge {
			return chunk, fmt.Errorf("joint sample is %s old (max_age %s)", age.Round(time.Millisecond), c.maxAge)
		}
		chunk = proprioChunk(in, sl.pos, sl.velocity())
	case contract.KindFeedback:
		chunk = b.feedbackChunk(c)
	default:
		return chunk, fmt.Errorf("kind %q has no provider", c.kind)
	}
	in.seq++
	chunk.InputID, chunk.Kind, chunk.Seq = c.id, c.kind, in.seq
	chunk.T = float64(time.Now().UnixNano()) / 1e9
	chunk.Meta["cycle"] = n.Cycle
	return chunk, nil
}

// proprioChunk is rawtick_f32x3: raw tick, previous raw tick, velocity per
// second, as little-endian float32 (PROTOCOL.md §3).
func proprioChunk(in *inputState, pos, vel float64) brain.Chunk {
	prev := pos
	if in.hasPrev {
		prev = in.prev
	}
	in.prev, in.hasPrev = pos, true
	data := make([]byte, 12)
	binary.LittleEndian.PutUint32(data[0:], math.Float32bits(float32(pos)))
	binary.LittleEndian.PutUint32(data[4:], math.Float32bits(float32(prev)))
	binary.LittleEndian.PutUint32(data[8:], math.Float32bits(float32(vel)))
	return brain.Chunk{
		Format: "rawtick_f32x3",
		Meta: map[string]any{
			"lo": in.conf.lo, "hi": in.conf.hi,
			"rawTick": pos, "prevRawTick": prev, "velTickPerS": vel,
		},
		Data: data,
	}
}
