package brain

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// outputRows counts a cycle's rows, read off the wire or left as decoded.
func outputRows(u CycleUpdate) int {
	if u.Rows != nil {
		return len(u.Rows)
	}
	return len(u.Outputs)
}

// decodeWith feeds one text packet to a decoder and returns what it emits.
func decodeWith(t testing.TB, d parser.Decoder, text string) (*parser.Packet, error) {
	var got *parser.Packet
	_ = d.On("decoded", func(ps ...any) { got = ps[0].(*parser.Packet) })
	defer d.Clear()
	err := d.Add(types.NewStringBufferString(text))
	return got, err
}

// cycleText is a cycle:update packet of 64 timesteps × 2 outputs × 32 bits
// as the local brain's server encodes it.
func cycleText(t testing.TB, nsp string) string {
	rng := rand.New(rand.NewPCG(11, 11))
	var out []any
	for ts := range 64 {
		for _, id := range []string{"shoulder_motor", "elbow_motor"} {
			bits := make([]int, 32)
			for i := range bits {
				if rng.Float64() < 0.2 {
					bits[i] = 1
				}
			}
			out = append(out, map[string]any{"t": ts, "id": id, "bits": bits})
		}
	}
	enc := parser.NewEncoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: nsp,
		Data: []any{EventCycleUpdate, map[string]any{"runId": "r1", "cycle": 7, "outputs": out}}})
	require.Len(t, enc, 1)
	return enc[0].String()
}

// update is what the session makes of a decoded packet, rows parsed.
func update(t *testing.T, p *parser.Packet) (nsp string, u CycleUpdate, rows []spikes.SpikeRow) {
	t.Helper()
	args := p.Data.([]any)
	require.Len(t, args, 2)
	require.Equal(t, EventCycleUpdate, args[0])
	u, err := parseCycleUpdate(args[1], time.Time{})
	require.NoError(t, err)
	rows = u.Rows
	if rows == nil {
		var skipped []spikes.RowError
		rows, skipped = spikes.ParseRows(u.Outputs)
		require.Empty(t, skipped)
	}
	return p.Nsp, u, rows
}

func TestCycleParserReadsWhatTheLibraryReads(t *testing.T) {
	for _, text := range []string{
		cycleText(t, "/ab"),
		cycleText(t, "/"),
		`2/ab,["cycle:update",{"cycle":3,"outputs":[]}]`,
		`2/ab, [ "cycle:update" , { "outputs" : [ {"t": 1, "id": "a", "bits": [1, 0]} ], "runId" : "r", "cycle" : 0 } ] `,
	} {
		lib, err := decodeWith(t, parser.NewDecoder(), text)
		require.NoError(t, err, text)
		ours, err := decodeWith(t, cycleParser{}.NewDecoder(), text)
		require.NoError(t, err, text)
		require.NotNil(t, ours, text)
		_, isWire := ours.Data.([]any)[1].(*wireCycle)
		assert.True(t, isWire, "%s was left to the library", text)
		assert.Equal(t, lib.Type, ours.Type)
		libNsp, libU, libRows := update(t, lib)
		nsp, u, rows := update(t, ours)
		assert.Equal(t, libNsp, nsp)
		assert.Equal(t, libU.RunID, u.RunID)
		assert.Equal(t, libU.Cycle, u.Cycle)
		require.Len(t, rows, len(libRows))
		for i := range rows {
			assert.Equal(t, libRows[i].T, rows[i].T)
			assert.Equal(t, libRows[i].ID, rows[i].ID)
			assert.Equal(t, string(libRows[i].Bits), string(rows[i].Bits))
		}
	}
}

func TestCycleParserLeavesTheRestToTheLibrary(t *testing.T) {
	for _, text := range []string{
		`2/ab,["io:need",{"cycle":3,"needs":[]}]`,
		`2/ab,12["cycle:update",{"cycle":3,"outputs":[]}]`,          // an ack id
		`2/ab,["cycle:update",{"cycle":3,"outputs":[],"extra":1}]`,  // Raw has it
		`2/ab,["cycle:update",{"cycle":3.5,"outputs":[]}]`,          // malformed: refused as before
		`2/ab,["cycle:update",{"outputs":[]}]`,                      // no cycle
		`2/ab,["cycle:update",{"cycle":3,"outputs":[[0,"a",[1]]]}]`, // triples
		`2/ab,["cycle:update",{"cycle":3,"outputs":[{"t":0,"id":"a","bits":[0.5]}]}]`,
		`2/ab,["cycle:update",{"cycle":3,"outputs":[]},"more"]`,
		`2/ab,["cycle:update",{"cycle":3,"outputs":[]}]x`,
		`0/ab,{"sid":"x"}`,
	} {
		ours, oursErr := decodeWith(t, cycleParser{}.NewDecoder(), text)
		lib, libErr := decodeWith(t, parser.NewDecoder(), text)
		assert.Equal(t, libErr, oursErr, text)
		assert.Equal(t, lib, ours, text)
	}
}

// A text packet while the library waits for a binary attachment is the
// library's to refuse.
func TestCycleParserWaitsForAttachments(t *testing.T) {
	d := cycleParser{}.NewDecoder()
	_, err := decodeWith(t, d, `51-/ab,["io:chunk",{"_placeholder":true,"num":0}]`)
	require.NoError(t, err)
	_, err = decodeWith(t, d, `2/ab,["cycle:update",{"cycle":3,"outputs":[]}]`)
	assert.ErrorIs(t, err, parser.ErrPlaintextDuringReconstruction)

	d = cycleParser{}.NewDecoder()
	_, err = decodeWith(t, d, `51-/ab,["io:chunk",{"_placeholder":true,"num":0}]`)
	require.NoError(t, err)
	var got *parser.Packet
	_ = d.On("decoded", func(ps ...any) { got = ps[0].(*parser.Packet) })
	require.NoError(t, d.Add([]byte{1, 2, 3}))
	require.NotNil(t, got, "the binary event is complete")
	d.Clear()
	p, err := decodeWith(t, d, `2/ab,["cycle:update",{"cycle":3,"outputs":[]}]`)
	require.NoError(t, err)
	_, isWire := p.Data.([]any)[1].(*wireCycle)
	assert.True(t, isWire, "after the attachment, cycle:update is read off the wire again")
}

// BenchmarkCycleFrame is a cycle:update packet's text (64 timesteps × 2
// outputs × 32 bits) to the session's CycleUpdate, through the library's
// decoder and through the session's own.
func BenchmarkCycleFrame(b *testing.B) {
	text := cycleText(b, "/ab")
	for _, c := range []struct {
		name string
		dec  parser.Decoder
	}{{"library", parser.NewDecoder()}, {"session", cycleParser{}.NewDecoder()}} {
		b.Run(c.name, func(b *testing.B) {
			var got *parser.Packet
			_ = c.dec.On("decoded", func(ps ...any) { got = ps[0].(*parser.Packet) })
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.dec.Add(types.NewStringBufferString(text)); err != nil {
					b.Fatal(err)
				}
				if _, err := parseCycleUpdate(got.Data.([]any)[1], time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
