package localbrain

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Camera chunks are big: a run's record keeps the newest within a byte
// budget as well as within its count limit.
func TestRecordBoundsChunkData(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	tests := []struct {
		name                    string
		limit                   int
		size                    int // bytes per chunk
		count                   int
		wantAtMost, wantAtLeast int // chunks kept
	}{
		{"count limit", 10, 100, 100, 20, 10},
		{"byte budget", 1 << 20, 1_000_000, 200, MaxRecordedChunkBytes / 1_000_000, MaxRecordedChunkBytes / 2 / 1_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun("r", p, "", runOptions{}, tc.limit, time.Now())
			data := make([]byte, tc.size)
			for i := range tc.count {
				r.addChunk(Chunk{InputID: DemoCameraInput, Seq: int64(i + 1), Data: data}, encoded{})
			}
			rec := r.record()
			assert.LessOrEqual(t, len(rec.Chunks), tc.wantAtMost)
			assert.GreaterOrEqual(t, len(rec.Chunks), tc.wantAtLeast)
			assert.Equal(t, int64(tc.count), rec.Chunks[len(rec.Chunks)-1].Seq, "the newest is kept")
			total := 0
			for _, c := range rec.Chunks {
				total += len(c.Data)
			}
			assert.LessOrEqual(t, total, MaxRecordedChunkBytes)
			assert.Equal(t, tc.count, r.ioState()["received"].(map[string]any)["chunks"].(map[string]int)[DemoCameraInput], "io/state counts every chunk")
		})
	}
}
