package spikes_test

import (
	"testing"

	"github.com/abbridge/ab_bridge/internal/spikes"
	"github.com/abbridge/ab_bridge/internal/spikes/spikestest"
)

// BenchmarkDecodeCycle decodes one cycle of 64 timesteps × 8 populations ×
// 32 bits: from the decoded JSON (what a cycle:update hands the bridge),
// and from already parsed rows.
func BenchmarkDecodeCycle(b *testing.B) {
	c := spikestest.NewCycle(64, 8, 32, 1)
	d, err := spikes.NewDecoder(c.Mapping)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse+decode", func(b *testing.B) {
		b.ReportAllocs()
		var (
			rb  spikes.RowBuffer
			buf spikes.Buffer
		)
		for b.Loop() {
			rows, skipped := rb.Parse(c.Outputs)
			if len(skipped) > 0 {
				b.Fatal(skipped)
			}
			d.DecodeInto(&buf, rows)
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		var rb spikes.RowBuffer
		for b.Loop() {
			rb.Parse(c.Outputs)
		}
	})
	rows, _ := spikes.ParseRows(c.Outputs)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		var buf spikes.Buffer
		for b.Loop() {
			d.DecodeInto(&buf, rows)
		}
	})
	b.Run("decode-fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d.Decode(rows)
		}
	})
}
