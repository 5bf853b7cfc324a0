package integration

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// stampBrain is the Go counterpart of ab_brain.py --io joints --stamp: the
// same contract and cycle (io:need, the chunks or 80% of the period, then
// 64×2 rows of 32 random bits), on the Socket.IO server library the local
// brain uses, with the wall clock taken right before each cycle:update's
// emit. It is not the local brain: that one has no stamping hook, and its
// network's work would land between the stamp and the write.
type stampBrain struct {
	url     string
	period  time.Duration
	inputs  []map[string]any // the contract's, each needed every cycle
	outputs []string         // Motor populations of 32, 64 rows of random bits each per cycle
	io      *socket.Server
	nsp     socket.Namespace
	http    *http.Server
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	seq     int
	run     string              // the running run, "" when none
	members int                 // sockets in its room
	cycle   int                 // its open cycle
	pending map[string]struct{} // inputs of the open cycle not yet answered
	stamps  []int64
	chunks  map[string]int // io:chunk events received per input id
	// frames counts the chunks whose data differ from their input's
	// previous chunk: for a camera, the frames that reached the brain
	// (every need is answered with the newest JPEG, new or not).
	frames map[string]int
	last   map[string]uint64 // hash of each input's previous chunk data
}

var stampInputs = []map[string]any{
	{"id": "shoulder_pos", "kind": "Proprioception", "lo": -3.14159, "hi": 3.14159},
	{"id": "elbow_pos", "kind": "Proprioception", "lo": -3.14159, "hi": 3.14159},
}

var stampOutputs = []string{"shoulder_motor", "elbow_motor"}

func startStampBrain(b *testing.B, period time.Duration) *stampBrain {
	return startStampBrainIO(b, period, stampInputs, stampOutputs)
}

// startStampBrainIO is startStampBrain with another contract.
func startStampBrainIO(b *testing.B, period time.Duration, inputs []map[string]any, outputs []string) *stampBrain {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	s := &stampBrain{url: "http://" + ln.Addr().String(), period: period, stop: make(chan struct{}),
		inputs: inputs, outputs: outputs, chunks: map[string]int{}, frames: map[string]int{}, last: map[string]uint64{}}
	opts := socket.DefaultServerOptions()
	opts.SetTransports(types.NewSet[engine.TransportCtor](engine.WebSocket))
	s.io = socket.NewServer(nil, opts)
	s.nsp = s.io.Of("/ab", nil)
	_ = s.nsp.On("connection", func(args ...any) {
		if sock, ok := args[0].(*socket.Socket); ok {
			s.onConnect(sock)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", s.io.ServeHandler(nil))
	mux.HandleFunc("/api/robot/", s.rest)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	s.wg.Add(1)
	go s.cycles()
	b.Cleanup(s.close)
	return s
}

func (s *stampBrain) close() {
	select {
	case <-s.stop:
		return
	default:
	}
	close(s.stop)
	s.wg.Wait()
	s.io.Close(nil)
	_ = s.http.Close()
}

func (s *stampBrain) rest(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || len(parts) != 4 {
		http.Error(w, `{"error":"no endpoint"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch parts[3] {
	case "start":
		s.seq++
		s.run = fmt.Sprintf("%s-%d", parts[2], s.seq)
		s.members, s.cycle, s.pending = 0, 0, nil
		outputs := make([]map[string]any, len(s.outputs))
		for i, id := range s.outputs {
			outputs[i] = map[string]any{"id": id, "kind": "Motor", "n": 32}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"runId": s.run, "projectId": parts[2],
			"constants": map[string]any{"gamma": 64, "outputWindowN": 32, "feedbackN": 128, "feedbackT": 64},
			"io": map[string]any{"inputs": s.inputs, "outputs": outputs,
				"feedback": []any{}, "stdp3": map[string]any{"layers": []string{"motor"}}},
			"realtime": map[string]any{"url": s.url, "namespace": "/ab"},
		})
	case "stop":
		s.run = ""
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true})
	default:
		http.Error(w, `{"error":"no endpoint"}`, http.StatusNotFound)
	}
}

func (s *stampBrain) onConnect(sock *socket.Socket) {
	joined := ""
	_ = sock.On("run:join", func(args ...any) {
		var reply socket.Ack
		if n := len(args); n > 0 {
			reply, _ = args[n-1].(socket.Ack)
		}
		m, _ := args[0].(map[string]any)
		id, _ := m["runId"].(string)
		s.mu.Lock()
		ok := id != "" && id == s.run
		if ok && joined != id {
			s.members++
			joined = id
		}
		s.mu.Unlock()
		if ok {
			sock.Join(socket.Room(id))
		}
		if reply != nil {
			reply([]any{map[string]any{"ok": ok}}, nil)
		}
	})
	_ = sock.On("io:chunk", func(args ...any) {
		m, _ := args[0].(map[string]any)
		meta, _ := m["meta"].(map[string]any)
		cycle, _ := meta["cycle"].(float64)
		id, _ := m["inputId"].(string)
		var sum uint64
		if data, ok := m["data"].(types.BufferInterface); ok {
			sum = maphash.Bytes(chunkSeed, data.Bytes())
		}
		s.mu.Lock()
		s.chunks[id]++
		if s.last[id] != sum {
			s.frames[id]++
			s.last[id] = sum
		}
		if int(cycle) == s.cycle {
			delete(s.pending, id)
		}
		s.mu.Unlock()
	})
	_ = sock.On("disconnect", func(...any) {
		s.mu.Lock()
		if joined != "" && joined == s.run {
			s.members--
		}
		s.mu.Unlock()
	})
}

// cycles is ab_brain.py's loop: a need, the answers or the deadline, the update.
func (s *stampBrain) cycles() {
	defer s.wg.Done()
	deadline := s.period * 8 / 10
	tick := time.NewTicker(s.period)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		t0 := time.Now()
		s.mu.Lock()
		run, cycle := s.run, 0
		if run != "" && s.members > 0 {
			s.cycle++
			cycle = s.cycle
			s.pending = map[string]struct{}{}
			for _, in := range s.inputs {
				s.pending[in["id"].(string)] = struct{}{}
			}
		}
		s.mu.Unlock()
		if cycle == 0 {
			continue
		}
		_ = s.nsp.To(socket.Room(run)).Emit("io:need", map[string]any{"runId": run, "cycle": cycle,
			"deadlineMs": deadline.Milliseconds(), "needs": s.inputs})
		for time.Since(t0) < deadline {
			s.mu.Lock()
			done := len(s.pending) == 0
			s.mu.Unlock()
			if done {
				break
			}
			time.Sleep(time.Millisecond)
		}
		rows := make([]map[string]any, 0, 64*len(s.outputs))
		for t := range 64 {
			for _, id := range s.outputs {
				bits := make([]int, 32)
				for i := range bits {
					bits[i] = rand.IntN(2)
				}
				rows = append(rows, map[string]any{"t": t, "id": id, "bits": bits})
			}
		}
		update := map[string]any{"runId": run, "cycle": cycle, "outputs": rows}
		stamp := time.Now().UnixNano()
		_ = s.nsp.To(socket.Room(run)).Emit("cycle:update", update)
		s.mu.Lock()
		s.stamps = append(s.stamps, stamp)
		s.mu.Unlock()
	}
}

// sendStamps are the stamps so far, sorted.
func (s *stampBrain) sendStamps() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.stamps))
}

// chunkSeed hashes chunk data to tell a new frame from a repeated one.
var chunkSeed = maphash.MakeSeed()

// frameCount is how many of input id's chunks so far carried data unlike
// the chunk before.
func (s *stampBrain) frameCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frames[id]
}

// chunkCount is how many io:chunk events input id has sent so far.
func (s *stampBrain) chunkCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chunks[id]
}
