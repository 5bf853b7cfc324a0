package localbrain

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Run statuses as io/state reports them.
const (
	statusRunning = "running"
	statusStopped = "stopped"
)

// RunRecord is what one run received, for tests and tools to inspect.
// Each per-event list keeps at least its most recent Config.RecordLimit
// entries (at most twice that), Chunks no more than MaxRecordedChunkBytes
// of data (the newest, at least half that much; none with
// Config.NoChunkData); the counts in io/state are totals.
type RunRecord struct {
	RunID     string
	ProjectID string
	Started   time.Time
	Stopped   time.Time // zero while running
	Joins     []Join
	Chunks    []Chunk
	States    []RobotState
	Rewards   []Reward
	Malformed []Malformed
	Cycles    int            // cycle:update events emitted
	Missed    map[string]int // needs unanswered at their deadline, per input
}

// need is one input the brain asks for each cycle.
type need struct {
	ID   string
	Kind string
}

// run is one started run of a project. Its cycle loop owns the network;
// everything below mu is shared with the socket and HTTP handlers.
type run struct {
	id      string
	project *project
	apiKey  string // key the run was started with: reconnecting sockets are matched on it
	needs   []need
	stopCh  chan struct{}
	done    chan struct{}
	once    sync.Once
	joined  atomic.Bool // a socket has been put into it at least once
	opts    runOptions
	// lockStep: the next cycle starts once the previous one is sent,
	// instead of on the next tick (runOptions.LockStep).
	lockStep bool

	mu        sync.Mutex
	status    string
	cycle     int
	pending   map[string]bool      // needs of the open cycle not yet answered
	allIn     chan struct{}        // closed when pending empties
	drives    map[string][]float64 // latest sensory drive per input; replaced, never written into
	rasters   map[string][]float32 // latest feedback raster per input; replaced likewise
	rewardQ   []Reward             // rewards not yet handed to the network
	learning  learningState
	chunks    map[string]int
	states    int
	rewards   int
	malformed int
	rec       RunRecord
	limit     int
	recBytes  int // data bytes of rec.Chunks
	// noChunkData: rec.Chunks entries carry no Data (Config.NoChunkData).
	noChunkData bool
	images      imageMemo // its own lock: decoding never holds mu
}

func newRun(id string, p *project, apiKey string, opts runOptions, limit int, now time.Time) *run {
	r := &run{
		opts:     opts,
		lockStep: opts.LockStep,
		learning: learningState{Enabled: opts.Learning},
		id:       id,
		project:  p,
		apiKey:   apiKey,
		stopCh:   make(chan struct{}),
		done:     make(chan struct{}),
		status:   statusRunning,
		drives:   map[string][]float64{},
		rasters:  map[string][]float32{},
		chunks:   map[string]int{},
		limit:    limit,
		rec:      RunRecord{RunID: id, ProjectID: p.ID, Started: now, Missed: map[string]int{}},
	}
	for _, in := range p.Contract.IO.Inputs {
		r.needs = append(r.needs, need{ID: in.ID, Kind: in.Kind})
	}
	return r
}

// stop ends the run; it reports whether this call did it.
func (r *run) stop(now time.Time) bool {
	stopped := false
	r.once.Do(func() {
		r.mu.Lock()
		r.status = statusStopped
		r.rec.Stopped = now
		r.mu.Unlock()
		close(r.stopCh)
		stopped = true
	})
	return stopped
}

func (r *run) running() bool {
	select {
	case <-r.stopCh:
		return false
	default:
		return true
	}
}

func (r *run) addJoin(j Join) {
	r.joined.Store(true)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Joins = keep(append(r.rec.Joins, j), r.limit)
}

// openCycle starts the next cycle: its needs become pending. The returned
// channel closes once every need is answered.
func (r *run) openCycle() (int, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cycle++
	r.pending = make(map[string]bool, len(r.needs))
	for _, n := range r.needs {
		r.pending[n.ID] = true
	}
	r.allIn = make(chan struct{})
	return r.cycle, r.allIn
}

// closeCycle counts the needs still unanswered and returns what the
// network steps on: the latest sample of each input and the rewards that
// arrived since the last cycle.
func (r *run) closeCycle() cycleInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id := range r.pending {
		r.rec.Missed[id]++
	}
	r.pending = nil
	in := cycleInput{Drives: maps.Clone(r.drives), Rasters: maps.Clone(r.rasters), Rewards: r.rewardQ}
	r.rewardQ = nil
	return in
}

func (r *run) cycleEmitted() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.Cycles++
}

func (r *run) addChunk(c Chunk, enc encoded) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chunks[c.InputID]++
	if enc.drive != nil {
		r.drives[c.InputID] = enc.drive
	}
	if enc.raster != nil {
		r.rasters[c.InputID] = enc.raster
	}
	r.recordChunk(c)
	if r.pending[c.InputID] {
		delete(r.pending, c.InputID)
		if len(r.pending) == 0 {
			close(r.allIn)
		}
	}
}

// MaxRecordedChunkBytes bounds the chunk data a run's record holds: camera
// chunks weigh tens of kilobytes each, and an embedded brain running for
// hours must not grow by hundreds of megabytes for a record nobody reads.
const MaxRecordedChunkBytes = 64 << 20

// recordChunk appends c to the record, trimming the oldest chunks past the
// count limit or the byte budget (down to half of it, so that trims stay
// rare).
func (r *run) recordChunk(c Chunk) {
	if r.noChunkData {
		c.Data = nil
	}
	r.rec.Chunks = append(r.rec.Chunks, c)
	r.recBytes += len(c.Data)
	if r.recBytes <= MaxRecordedChunkBytes && (r.limit <= 0 || len(r.rec.Chunks) <= 2*r.limit) {
		return
	}
	list := r.rec.Chunks
	first, bytes := len(list), 0
	for first > 0 && (r.limit <= 0 || len(list)-first < r.limit) && bytes+len(list[first-1].Data) <= MaxRecordedChunkBytes/2 {
		first--
		bytes += len(list[first].Data)
	}
	r.rec.Chunks, r.recBytes = slices.Clone(list[first:]), bytes
}

func (r *run) addState(s RobotState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states++
	r.rec.States = keep(append(r.rec.States, s), r.limit)
}

func (r *run) addReward(w Reward) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rewards++
	r.rec.Rewards = keep(append(r.rec.Rewards, w), r.limit)
	if len(r.rewardQ) < maxQueuedRewards {
		r.rewardQ = append(r.rewardQ, w)
	} else {
		r.learning.Dropped++
	}
}

// maxQueuedRewards bounds the rewards waiting for the next cycle: a client
// flooding learn:reward while no cycle runs must not grow the run.
const maxQueuedRewards = 64

// learningState is what io/state reports of a run's learning: its switch,
// and the network's figures as of the last cycle.
type learningState struct {
	Enabled bool
	Dropped int // rewards beyond maxQueuedRewards between two cycles
	LearningStats
}

func (r *run) setLearningStats(st LearningStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.learning.LearningStats = st
}

func (r *run) addMalformed(m Malformed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.malformed++
	r.rec.Malformed = keep(append(r.rec.Malformed, m), r.limit)
}

// ioState is the io/state answer for this run.
func (r *run) ioState() map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	needs := make([]any, 0, len(r.needs))
	for _, n := range r.needs {
		needs = append(needs, map[string]any{"id": n.ID, "kind": n.Kind})
	}
	return map[string]any{
		"ok":     true,
		"runId":  r.id,
		"status": r.status,
		"cycle":  r.cycle,
		"needs":  needs,
		"received": map[string]any{
			"chunks":      maps.Clone(r.chunks),
			"states":      r.states,
			"rewards":     r.rewards,
			"malformed":   r.malformed,
			"missedNeeds": maps.Clone(r.rec.Missed),
		},
		"learning": map[string]any{
			"enabled":        r.learning.Enabled,
			"lockStep":       r.lockStep,
			"rewardsApplied": r.learning.Rewards,
			"rewardsLate":    r.learning.Late,
			"rewardsDropped": r.learning.Dropped,
			"meanWeight":     r.learning.MeanWeight,
			"weightChange":   r.learning.WeightChange,
		},
	}
}

// record returns a copy of the run's record that later events do not touch.
func (r *run) record() RunRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.rec
	rec.Joins = slices.Clone(rec.Joins)
	rec.Chunks = slices.Clone(rec.Chunks)
	rec.States = slices.Clone(rec.States)
	rec.Rewards = slices.Clone(rec.Rewards)
	rec.Malformed = slices.Clone(rec.Malformed)
	rec.Missed = maps.Clone(rec.Missed)
	return rec
}

// keep bounds a record list to its most recent limit entries, trimming in
// batches so appends stay amortised O(1).
func keep[T any](list []T, limit int) []T {
	if limit <= 0 || len(list) <= 2*limit {
		return list
	}
	return slices.Clone(list[len(list)-limit:])
}
