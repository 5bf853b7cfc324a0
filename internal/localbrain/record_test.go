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

// A brain embedded in the node keeps no chunk bytes: its record and
// io/state still count and describe every chunk, so a test or a tool that
// reads metadata sees the same, but hours of camera frames cost nothing.
func TestRecordWithoutChunkData(t *testing.T) {
	p, err := demoProject()
	require.NoError(t, err)
	const limit, count, size = 8, 100, 50_000
	r := newRun("r", p, "", runOptions{}, limit, time.Now())
	r.noChunkData = true
	for i := range count {
		r.addChunk(Chunk{InputID: DemoCameraInput, Seq: int64(i + 1), Len: size, Data: make([]byte, size)}, encoded{})
	}
	rec := r.record()
	require.NotEmpty(t, rec.Chunks)
	assert.LessOrEqual(t, len(rec.Chunks), 2*limit)
	assert.Equal(t, int64(count), rec.Chunks[len(rec.Chunks)-1].Seq, "the newest is kept")
	for _, c := range rec.Chunks {
		assert.Nil(t, c.Data)
		assert.Equal(t, size, c.Len, "the size is still recorded")
	}
	assert.Zero(t, r.recBytes)
	assert.Equal(t, count, r.ioState()["received"].(map[string]any)["chunks"].(map[string]int)[DemoCameraInput], "io/state counts every chunk")
}

// The option reaches the server's runs.
func TestServerNoChunkDataReachesRuns(t *testing.T) {
	s, err := New(Config{NoChunkData: true})
	require.NoError(t, err)
	defer s.Close()
	p, err := demoProject()
	require.NoError(t, err)
	r, err := s.startRun(p, "", runOptions{})
	require.NoError(t, err)
	assert.True(t, r.noChunkData)
}
