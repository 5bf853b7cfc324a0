package brain

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

func TestEventHead(t *testing.T) {
	for _, c := range []struct {
		text, nsp, name string
		ok              bool
	}{
		{`2["io:need",{}]`, "/", "io:need", true},
		{`2/ab,["io:need",{}]`, "/ab", "io:need", true},
		{`2/ab,12["cycle:update",{}]`, "/ab", "cycle:update", true},
		{`21["x"]`, "/", "x", true},
		{`51-/ab,["io:need",{"_placeholder":true,"num":0}]`, "/ab", "io:need", true},
		{`512-["a"]`, "/", "a", true},
		{`5/ab,["io:need"]`, "", "", false},  // BINARY_EVENT without its count
		{`3/ab,1["io:need"]`, "", "", false}, // an ACK
		{`0/ab,{"sid":"x"}`, "", "", false},
		{`2/ab`, "", "", false},
		{`2/ab,{"a":1}`, "", "", false},
		{`2["io\u003aneed"]`, "", "", false}, // escapes: left to the library
		{``, "", "", false},
	} {
		t.Run(c.text, func(t *testing.T) {
			nsp, name, ok := eventHead([]byte(c.text))
			require.Equal(t, c.ok, ok)
			assert.Equal(t, c.nsp, string(nsp))
			assert.Equal(t, c.name, string(name))
		})
	}
}

// routing feeds packets to a session decoder with a directPath and tells
// which way each went.
type routing struct {
	dec    parser.Decoder
	direct *directPath
	ways   []string
}

func newRouting() *routing {
	r := &routing{}
	r.direct = &directPath{nsp: "/ab", cycle: func(p any) {
		r.ways = append(r.ways, fmt.Sprintf("direct %d", p.(*wireCycle).Cycle))
	}}
	r.dec = cycleParser{direct: r.direct}.NewDecoder()
	_ = r.dec.On("decoded", func(ps ...any) {
		p := ps[0].(*parser.Packet)
		args := p.Data.([]any)
		r.ways = append(r.ways, fmt.Sprintf("library %s %v", p.Nsp, args[0]))
	})
	return r
}

func (r *routing) add(t *testing.T, text string) {
	t.Helper()
	require.NoError(t, r.dec.Add(types.NewStringBufferString(text)))
}

func cycleOn(nsp string, cycle int) string {
	return fmt.Sprintf(`2%s,["cycle:update",{"runId":"r1","cycle":%d,"outputs":[{"t":0,"id":"m","bits":[0,1]}]}]`, nsp, cycle)
}

func TestDirectPathKeepsTheBrainsOrder(t *testing.T) {
	r := newRouting()
	r.add(t, cycleOn("/ab", 1)) // not connected: the library buffers it
	r.direct.handled()          // ... and hands it over on connect
	r.direct.open.Store(true)
	r.add(t, cycleOn("/ab", 2))
	r.add(t, `2/ab,["io:need",{"runId":"r1"}]`)
	r.add(t, cycleOn("/ab", 3)) // the need is still queued: behind it
	r.add(t, cycleOn("/other", 4))
	r.direct.handled()          // the need
	r.add(t, cycleOn("/ab", 5)) // cycle 3 is still queued
	r.direct.handled()
	r.direct.handled()
	r.add(t, cycleOn("/ab", 6))
	r.add(t, `2/other,["io:need",{}]`) // another namespace's: not ours to wait for
	r.add(t, cycleOn("/ab", 7))
	assert.Equal(t, []string{
		"library /ab cycle:update",
		"direct 2",
		"library /ab io:need",
		"library /ab cycle:update",
		"library /other cycle:update",
		"library /ab cycle:update",
		"direct 6",
		"library /other io:need",
		"direct 7",
	}, r.ways)
	assert.Zero(t, r.direct.queued.Load())
}

func TestDirectPathGivesUpOnAnEventItCouldNotCount(t *testing.T) {
	r := newRouting()
	r.direct.open.Store(true)
	r.add(t, `2/ab,["io\u003aneed",{}]`) // the library decodes it as io:need
	r.direct.handled()                   // and the session handles it: one more than counted
	r.add(t, cycleOn("/ab", 1))
	r.direct.handled()
	r.add(t, cycleOn("/ab", 2))
	assert.Equal(t, []string{"library /ab io:need", "library /ab cycle:update", "library /ab cycle:update"}, r.ways)
	assert.True(t, r.direct.broken.Load())
}

func TestDirectPathUndoesAPacketTheLibraryRefused(t *testing.T) {
	r := newRouting()
	r.direct.open.Store(true)
	require.Error(t, r.dec.Add(types.NewStringBufferString(`2/ab,["io:need",{]`)))
	assert.Zero(t, r.direct.queued.Load(), "no handler will see it")
	assert.False(t, r.direct.broken.Load())
}

// orderRecorder keeps the order of the events it is handed, and makes some
// needs slow, so that the library's queue holds events behind them.
type orderRecorder struct {
	mu   sync.Mutex
	seen []string
	busy int // handler calls that overlapped another
	in   int
}

func (o *orderRecorder) enter(what string, slow bool) {
	o.mu.Lock()
	o.in++
	if o.in > 1 {
		o.busy++
	}
	o.seen = append(o.seen, what)
	o.mu.Unlock()
	if slow {
		time.Sleep(2 * time.Millisecond)
	}
	o.mu.Lock()
	o.in--
	o.mu.Unlock()
}

func (o *orderRecorder) OnNeed(n Need)         { o.enter(fmt.Sprint("need ", n.Cycle), n.Cycle%20 == 0) }
func (o *orderRecorder) OnCycle(u CycleUpdate) { o.enter(fmt.Sprint("cycle ", u.Cycle), false) }
func (o *orderRecorder) OnLink(Link)           {}

func (o *orderRecorder) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.seen)
}

// A real server sends needs and cycles, half of the cycles a millisecond
// after their need, the rest right behind it; every tenth need is slow to
// handle, so that events queue behind it. The handler sees
// them one at a time in the server's order, and some cycles took the
// direct path.
func TestSessionEventsArriveInOrderOnEitherPath(t *testing.T) {
	b := startTestBrain(t, "")
	h := &orderRecorder{}
	s := dialTest(t, b, "", "r1", h)
	require.Equal(t, "r1", b.waitJoin(5*time.Second))
	var want []string
	for i := range 200 {
		if i%2 == 0 {
			b.emit(EventNeed, map[string]any{"runId": "r1", "cycle": i, "needs": []any{map[string]any{"id": "cam", "kind": "image"}}})
			want = append(want, fmt.Sprint("need ", i))
			if i%4 == 0 {
				time.Sleep(time.Millisecond) // the need is handled, unless slow: the cycle may go direct
			}
			continue
		}
		b.emit(EventCycleUpdate, map[string]any{"runId": "r1", "cycle": i, "outputs": []any{map[string]any{"t": 0, "id": "m", "bits": []int{0, 1}}}})
		want = append(want, fmt.Sprint("cycle ", i))

	}
	eventually(t, 10*time.Second, "every event handled", func() bool { return h.count() == len(want) })
	h.mu.Lock()
	defer h.mu.Unlock()
	assert.Equal(t, want, h.seen)
	assert.Zero(t, h.busy, "handler calls overlapped")
	assert.Zero(t, s.direct.queued.Load())
	assert.False(t, s.direct.broken.Load())
	t.Logf("direct: %d of 100 cycle:updates", s.direct.taken.Load())
	assert.Greater(t, s.direct.taken.Load(), int64(0), "no cycle:update took the direct path")
}
