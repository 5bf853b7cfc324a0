package bridge

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
)

func oneCycle(n int64) brain.CycleUpdate {
	return brain.CycleUpdate{Cycle: n, Outputs: []any{map[string]any{"t": 0.0, "id": "ma", "bits": bits(4, 1, 0)}}}
}

// gatedBrain holds each SendChunk until the test lets it go, so that the
// bridge goroutine is busy for as long as the test wants.
type gatedBrain struct {
	fakeBrain
	entered, gate chan struct{}
}

func (g *gatedBrain) SendChunk(c brain.Chunk) error {
	g.entered <- struct{}{}
	<-g.gate
	return g.fakeBrain.SendChunk(c)
}

// order keeps what the bridge did, in the order it did it.
type order struct {
	mu   sync.Mutex
	done []int64
}

func (o *order) add(n int64) {
	o.mu.Lock()
	o.done = append(o.done, n)
	o.mu.Unlock()
}

func (o *order) get() []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]int64(nil), o.done...)
}

func runGated(t *testing.T) (*Bridge, *gatedBrain, *fakeRobot, *order) {
	t.Helper()
	o := &order{}
	conf := demoConfig(t)
	conf.OnCycleDone = func(r CycleReport) { o.add(r.Cycle) }
	b, err := New(conf)
	require.NoError(t, err)
	gb := &gatedBrain{entered: make(chan struct{}, 8), gate: make(chan struct{})}
	fr := &fakeRobot{}
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = b.Run(ctx, gb, fr); close(stopped) }()
	t.Cleanup(func() { cancel(); close(gb.gate); <-stopped })
	return b, gb, fr, o
}

var needA = brain.Need{Cycle: 1, Needs: []brain.NeedItem{{ID: "a_pos", Kind: "Proprioception"}}}

func TestCycleIsHandledInPlaceWhenTheBridgeIsIdle(t *testing.T) {
	b, gb, fr, o := runGated(t)
	b.OnNeed(needA) // proves Run is up; it is idle once the chunk is out
	<-gb.entered
	gb.gate <- struct{}{}
	waitFor(t, func() bool { return len(gb.sent()) == 1 && b.handOvers.Load() == 0 })

	b.OnCycle(oneCycle(2))
	// Handled before OnCycle returned, on this goroutine.
	assert.Equal(t, []int64{2}, o.get())
	fr.mu.Lock()
	assert.Len(t, fr.trajs, 1)
	fr.mu.Unlock()
	assert.EqualValues(t, 1, b.Stats().CyclesInPlace)
}

func TestCycleWaitsBehindWhatTheBridgeGoroutineHas(t *testing.T) {
	b, gb, _, o := runGated(t)
	b.OnNeed(needA)
	<-gb.entered // the bridge goroutine is busy with the need
	b.OnCycle(oneCycle(2))
	b.OnNeed(brain.Need{Cycle: 3, Needs: needA.Needs})
	b.OnCycle(oneCycle(4))
	assert.Empty(t, o.get(), "a cycle overtook the need being answered")
	gb.gate <- struct{}{}
	<-gb.entered // need 3, after cycle 2
	assert.Equal(t, []int64{2}, o.get())
	gb.gate <- struct{}{}
	waitFor(t, func() bool { return len(o.get()) == 2 })
	assert.Equal(t, []int64{2, 4}, o.get())
	assert.Zero(t, b.Stats().CyclesInPlace)
}

// A hand-over the bridge goroutine took off its channel but has not
// handled yet keeps cycles queued behind it too.
func TestCycleWaitsBehindAHandOverNotYetHandled(t *testing.T) {
	b, gb, _, o := runGated(t)
	b.OnNeed(needA)
	<-gb.entered
	gb.gate <- struct{}{}
	waitFor(t, func() bool { return len(gb.sent()) == 1 && b.handOvers.Load() == 0 })

	b.handOvers.Add(1) // as enqueue, Adopt and hand count one before it lands
	b.OnCycle(oneCycle(2))
	waitFor(t, func() bool { return len(o.get()) == 1 })
	assert.Zero(t, b.Stats().CyclesInPlace)
	b.handOvers.Add(-1)
	b.OnCycle(oneCycle(3))
	assert.Equal(t, []int64{2, 3}, o.get())
	assert.EqualValues(t, 1, b.Stats().CyclesInPlace)
}

func TestCycleBeforeRunWaitsForIt(t *testing.T) {
	o := &order{}
	conf := demoConfig(t)
	conf.OnCycleDone = func(r CycleReport) { o.add(r.Cycle) }
	b, err := New(conf)
	require.NoError(t, err)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	b.OnCycle(oneCycle(1))
	assert.Empty(t, o.get())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = b.Run(ctx, &fakeBrain{}, &fakeRobot{}); close(stopped) }()
	waitFor(t, func() bool { return len(o.get()) == 1 })
	cancel()
	<-stopped
	b.OnCycle(oneCycle(2)) // after Run: queued, not handled with ports gone
	assert.Equal(t, []int64{1}, o.get())
}

// One goroutine hands over needs and cycles as the session does while the
// state ticker and a setting a millisecond run on the bridge goroutine:
// every cycle is handled once, in order, some in place (run with -race).
func TestCyclesStayInOrderAcrossBothPaths(t *testing.T) {
	o := &order{}
	conf := demoConfig(t)
	conf.StateRate = 1000
	conf.OnCycleDone = func(r CycleReport) { o.add(r.Cycle) }
	b, err := New(conf)
	require.NoError(t, err)
	fb := &fakeBrain{}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = b.Run(ctx, fb, &fakeRobot{}); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	go func() { // a setting every millisecond
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = b.SetPublishIdle(ctx, true)
			}
		}
	}()
	const n = 2000
	for i := int64(1); i <= n; i++ {
		b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
		if i%3 == 0 {
			b.OnNeed(brain.Need{Cycle: i, Needs: needA.Needs})
		}
		b.OnCycle(oneCycle(i))
		if i%30 == 0 { // the queue holds 64 events: let it drain now and then
			waitFor(t, func() bool { return len(o.get()) == int(i) })
		}
	}
	waitFor(t, func() bool { return len(o.get()) == n })
	got := o.get()
	for i, c := range got {
		require.EqualValues(t, i+1, c, "cycle out of order")
	}
	inPlace := b.Stats().CyclesInPlace
	t.Logf("%d of %d cycles in place", inPlace, n)
	assert.Positive(t, inPlace)
	assert.Less(t, inPlace, int64(n), "the bridge goroutine was never busy: the queue went untested")
	assert.Zero(t, b.Stats().DroppedEvents)
}
