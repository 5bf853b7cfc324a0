package brain

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// libraryPacket is what the library's own encoder writes for
// Emit(event, payload) on nsp: the text and each attachment.
func libraryPacket(t testing.TB, nsp, event string, payload map[string]any) []string {
	t.Helper()
	return packetStrings(parser.NewEncoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: nsp, Data: []any{event, payload}}))
}

// ownPacket is what the session's encoder writes for the same emit.
func ownPacket(t testing.TB, nsp, event string, payload map[string]any) []string {
	t.Helper()
	w, err := newWirePayload(payload)
	require.NoError(t, err)
	return packetStrings(cycleParser{}.NewEncoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: nsp, Data: []any{event, w}}))
}

func packetStrings(bufs []types.BufferInterface) []string {
	out := make([]string, len(bufs))
	for i, b := range bufs {
		out[i] = string(b.Bytes())
	}
	return out
}

func TestWirePayloadIsWhatTheLibraryWrites(t *testing.T) {
	g := 0.25
	chunk := func(c Chunk) map[string]any {
		p, err := chunkPayload("run-1", c)
		require.NoError(t, err)
		return p
	}
	state := func(st RobotState) map[string]any {
		p, err := statePayload("run-1", st)
		require.NoError(t, err)
		return p
	}
	reward := func(r Reward) map[string]any {
		p, _, err := rewardPayload("run-1", r)
		require.NoError(t, err)
		return p
	}
	tests := []struct {
		name, nsp, event string
		payload          map[string]any
	}{
		{"jpeg chunk", "/ab", EventChunk, chunk(Chunk{InputID: "cam", Kind: "Image", Seq: 7, T: 1764759600.123456, Format: "jpeg",
			Meta: map[string]any{"cycle": int64(3), "width": 640, "height": 480}, Data: []byte{0xff, 0xd8, 0, 1, 2}})},
		{"rawtick chunk", "/ab", EventChunk, chunk(Chunk{InputID: "j1_pos", Kind: "Proprioception", Seq: 1, T: 2, Format: "rawtick_f32x3",
			Meta: map[string]any{"cycle": int64(1), "lo": -3.14159, "hi": 3.14159, "rawTick": 0.5, "prevRawTick": 1e-7, "velTickPerS": -2.5e21}, Data: make([]byte, 12)})},
		{"empty chunk, root namespace", "/", EventChunk, chunk(Chunk{InputID: "a", Format: "f"})},
		{"meta of every type", "/ab", EventChunk, chunk(Chunk{InputID: "x", Kind: "Audio", Seq: 2, T: 0, Format: "pcm16", Meta: map[string]any{
			"n": nil, "s": "a<b>&\"c\"\\\n\té\u2028", "b": true, "i8": int8(-8), "u": uint(9), "u64": uint64(math.MaxUint64), "f32": float32(0.1),
			"f32small": float32(1e-7), "list": []any{1, "x", false, nil, 2.5, map[string]any{"z": 1, "a": []string{"q"}}},
			"floats": []float64{0, math.Copysign(0, -1), 1e20, 1e21, 123456789.125}, "ints": []int{1, -2}, "int64s": []int64{math.MinInt64}, "nofloats": []float64(nil),
		}, Data: []byte("pcm")})},
		{"full state", "/ab", EventRobotState, state(RobotState{Q: []float64{0.1, -1.5707963267948966}, DQ: []float64{0, 3e-9}, Grip: &g, DT: 0.05})},
		{"bare state", "/ab", EventRobotState, state(RobotState{DT: 0})},
		{"reward", "/ab", EventReward, reward(Reward{Cycle: 41, Global: 0.6180339887, ByLayer: map[string]float64{"L3": 0.5, "L10": 1, "A": 0}})},
		{"odd run id", "/ab", EventReward, map[string]any{"runId": "ü\x01", "cycle": int64(0), "globalReward": 0.5, "byLayer": map[string]any{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, libraryPacket(t, tc.nsp, tc.event, tc.payload), ownPacket(t, tc.nsp, tc.event, tc.payload))
		})
	}
}

func TestWirePayloadMatchesTheLibraryOnRandomFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	q := make([]float64, 2000)
	for i := range q {
		// Every magnitude the exponent switch cares about.
		q[i] = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(60)-30))
	}
	p, err := statePayload("r", RobotState{Q: q, DT: rng.Float64()})
	require.NoError(t, err)
	assert.Equal(t, libraryPacket(t, "/ab", EventRobotState, p), ownPacket(t, "/ab", EventRobotState, p))
}

func TestWirePayloadRefusesWhatJSONCannotHold(t *testing.T) {
	for name, v := range map[string]any{
		"NaN":         math.NaN(),
		"inf in list": []float64{1, math.Inf(1)},
		"float32 inf": float32(math.Inf(-1)),
		"struct":      struct{}{},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newWirePayload(map[string]any{"meta": map[string]any{"v": v}})
			assert.ErrorContains(t, err, "meta: v:")
		})
	}
}

func TestWirePayloadOwnsItsAttachment(t *testing.T) {
	data := []byte{1, 2, 3}
	w, err := newWirePayload(map[string]any{"data": data})
	require.NoError(t, err)
	data[0] = 9
	assert.Equal(t, []byte{1, 2, 3}, w.attachments[0], "the caller may reuse Data once the send returns")
}

func TestOtherPacketsStillGoThroughTheLibrary(t *testing.T) {
	id := uint64(4)
	for _, p := range []*parser.Packet{
		{Type: parser.CONNECT, Nsp: "/ab", Data: map[string]any{"token": "k"}},
		{Type: parser.EVENT, Nsp: "/ab", Data: []any{"run:join", map[string]any{"runId": "r"}}, Id: &id},
		{Type: parser.EVENT, Nsp: "/ab", Data: []any{"x", map[string]any{"b": []byte{1}}}},
	} {
		want := packetStrings(parser.NewEncoder().Encode(p))
		assert.Equal(t, want, packetStrings(cycleParser{}.NewEncoder().Encode(p)))
	}
}

// BenchmarkEncodeChunk is one camera chunk's encoding, the library's way
// and the session's (payload written, then the packet).
func BenchmarkEncodeChunk(b *testing.B) {
	data := make([]byte, 40<<10)
	payload, err := chunkPayload("run-1", Chunk{InputID: "cam", Kind: "Image", Seq: 7, T: 1764759600.123456, Format: "jpeg",
		Meta: map[string]any{"cycle": int64(3), "width": 640, "height": 480}, Data: data})
	require.NoError(b, err)
	b.Run("library", func(b *testing.B) {
		enc := ownedEncoder{parser.NewEncoder()}
		b.ReportAllocs()
		for b.Loop() {
			enc.Encode(&parser.Packet{Type: parser.EVENT, Nsp: "/ab", Data: []any{EventChunk, payload}})
		}
	})
	b.Run("session", func(b *testing.B) {
		enc := cycleParser{}.NewEncoder()
		b.ReportAllocs()
		for b.Loop() {
			w, err := newWirePayload(payload)
			if err != nil {
				b.Fatal(err)
			}
			enc.Encode(&parser.Packet{Type: parser.EVENT, Nsp: "/ab", Data: []any{EventChunk, w}})
		}
	})
}
