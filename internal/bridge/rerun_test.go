package bridge

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/contract"
)

func TestAdoptRefusesAContractTheConfigDoesNotFit(t *testing.T) {
	b, _, _, _ := started(t, demoConfig(t))
	for name, edit := range map[string]func(*contract.Contract){
		"input gone":  func(c *contract.Contract) { c.IO.Inputs = c.IO.Inputs[1:] },
		"input kind":  func(c *contract.Contract) { c.IO.Inputs[0].Kind = "Image" },
		"output gone": func(c *contract.Contract) { c.IO.Outputs = c.IO.Outputs[:1] },
		"gamma zero":  func(c *contract.Contract) { c.Constants.Gamma = 0 },
	} {
		ct := demoContract()
		edit(ct)
		assert.Error(t, b.Adopt(context.Background(), ct, nil, nil), name)
	}
}

// TestAdoptServesTheNewRun: a new run whose contract fits is served with
// its own constants and input ranges, and chunk sequences start again.
func TestAdoptServesTheNewRun(t *testing.T) {
	b, fb, fr, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.5, 0}})
	need := brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}}
	b.OnNeed(need)
	b.OnNeed(need)
	waitFor(t, func() bool { return len(fb.sent()) == 2 })
	assert.Equal(t, int64(2), fb.sent()[1].Seq)

	ct := demoContract()
	ct.RunID = "run2"
	ct.Constants.Gamma = 16
	ct.IO.Inputs[0].Extra = map[string]any{"lo": -2.0, "hi": 2.0}
	require.NoError(t, b.Adopt(context.Background(), ct, nil, nil))
	b.OnNeed(need)
	waitFor(t, func() bool { return len(fb.sent()) == 3 })
	c := fb.sent()[2]
	assert.Equal(t, int64(1), c.Seq, "a new run counts chunks from 1")
	assert.Equal(t, -2.0, c.Meta["lo"])

	b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: []any{map[string]any{"t": 15.0, "id": "ma", "bits": bits(4, 1, 0)}}})
	r := <-done
	require.True(t, r.Published, "t=15 is inside the new run's gamma of 16")
	pts := fr.published()[0].Points
	assert.InDelta(t, 0.6, pts[len(pts)-2].Positions[0], 1e-9, "the cycle's last moving point")
}

// TestAdoptWhileOthersRead: statistics and policy-topic callbacks from
// other goroutines may run while a new run is adopted (go test -race sees
// the swap), and what they read carries over: the learning counters go on
// from their totals instead of starting again at 0.
func TestAdoptWhileOthersRead(t *testing.T) {
	b, _, _, done := started(t, demoConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	b.OnCycle(movingCycle(1))
	<-done
	require.Eventually(t, func() bool { return b.LearningStats().Rewards == 1 }, 2*time.Second, time.Millisecond)

	stop := make(chan struct{})
	readers := make(chan struct{})
	go func() {
		defer close(readers)
		for {
			select {
			case <-stop:
				return
			default:
				_ = b.LearningStats()
				b.OnSignalScalar("task/score", 0.5)
			}
		}
	}()
	for i := range 5 {
		ct := demoContract()
		ct.RunID = "run" + string(rune('2'+i))
		require.NoError(t, b.Adopt(context.Background(), ct, nil, nil))
	}
	close(stop)
	<-readers

	b.OnCycle(movingCycle(2))
	<-done
	require.Eventually(t, func() bool { return b.LearningStats().Rewards == 2 }, 2*time.Second, time.Millisecond,
		"the new run's rewards add to the old run's")
}
