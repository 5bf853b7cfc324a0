package brain

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// The Socket.IO server matrix: the session against every server a brain may
// run on (the Node.js reference server, python-socketio's three servers and
// the local brain's Go server), each speaking the Artificial Brains
// protocol. Every case walks the same life: REST start, join, needs
// answered with binary chunks, cycles, a server-initiated disconnect, a
// graceful shutdown and a restart on the same port.

const (
	matrixKey     = "matrix-key"
	matrixProject = localbrain.DemoProjectID // the local brain serves only its own projects
	matrixPeriod  = 100 * time.Millisecond
	// matrixRecover bounds every reconnection: the session's backoff tops
	// out at 5 s, an attempt at joinTimeout, so two attempts fit.
	matrixRecover = 20 * time.Second
	// forgottenWindow is how long the test watches a session re-joined to
	// a run the restarted server forgot: ten cycle periods.
	forgottenWindow = 10 * matrixPeriod
)

// matrixBrain is a brain under test, in its own process or in ours.
type matrixBrain interface {
	// url is the root of REST (url+"/api") and of the realtime channel.
	url() string
	// kick disconnects every realtime client from the server side and
	// says how many it disconnected.
	kick(t *testing.T) int
	// restart shuts the server down gracefully and starts it again on the
	// same port, knowing the run adopt (PROJECT=RUNID) if not empty; it
	// returns when the new server listens.
	restart(t *testing.T, adopt string) time.Time
	// canAdopt says whether restart can keep a run.
	canAdopt() bool
	// view is what the current server process saw of run.
	view(t *testing.T, run string) brainView
}

// brainView is what a brain saw since it (last) started.
type brainView struct {
	Joins        int // run:join accepted for the run
	Chunks       int // io:chunk of the run with binary data
	ChunkBytes   int // their data bytes
	NonBinary    int // io:chunk whose data was not a binary attachment
	UnknownJoins int // run:join (or events) naming a run the server does not know
	Deflated     int // websockets with per-message deflate negotiated; -1: the server does not say
}

type matrixCase struct {
	name  string
	start func(t *testing.T) matrixBrain
}

func matrixCases() []matrixCase {
	node := func(transports, deflate string) matrixCase {
		return matrixCase{
			name: fmt.Sprintf("node-socket.io-4.8/%s/deflate-%s", strings.ReplaceAll(transports, ",", "+"), deflate),
			start: func(t *testing.T) matrixBrain {
				return startPeerBrain(t, append(nodeCommand(t), "--transports", transports, "--deflate", deflate)...)
			},
		}
	}
	py := func(server, transports string) matrixCase {
		args := []string{"--server", server}
		label := "defaults"
		if transports != "" {
			args = append(args, "--transports", transports)
			label = strings.ReplaceAll(transports, ",", "+")
		}
		return matrixCase{
			name: fmt.Sprintf("python-socketio-5/%s/%s", server, label),
			start: func(t *testing.T) matrixBrain {
				return startPeerBrain(t, append(pythonBrainCommand(t), args...)...)
			},
		}
	}
	return []matrixCase{
		node("websocket", "off"),
		node("websocket", "on"),
		node("polling,websocket", "off"),
		node("polling,websocket", "on"),
		py("aiohttp", ""), // the library's defaults: polling and websocket
		py("aiohttp", "websocket"),
		py("uvicorn", "polling,websocket"),
		py("uvicorn", "websocket"),
		py("threading", "polling,websocket"),
		py("threading", "websocket"),
		{name: "go-localbrain", start: startLocalMatrixBrain},
	}
}

// matrixRow is one server's line of the table the test logs.
type matrixRow struct {
	name                                     string
	join, needs, cycles, kick, restart       string
	kickRejoin, restartRejoin, restartNeed   time.Duration
	forgotten                                string // what the server did with the join of a run it forgot
	deflated                                 int    // brainView.Deflated at the first join
	ran                                      bool
	sentChunks, sentBytes, seenChunks, seenB int
}

func newMatrixRow(name string) *matrixRow {
	r := &matrixRow{name: name}
	for _, f := range []*string{&r.join, &r.needs, &r.cycles, &r.kick, &r.restart} {
		*f = "not reached"
	}
	return r
}

func TestSocketIOServerMatrix(t *testing.T) {
	cases := matrixCases()
	rows := make([]*matrixRow, len(cases))
	t.Run("servers", func(t *testing.T) {
		for i, c := range cases {
			rows[i] = newMatrixRow(c.name)
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				row := rows[i]
				row.ran = true
				defer func() {
					if t.Failed() {
						row.markFailure()
					}
				}()
				runMatrixCase(t, c, row)
			})
		}
	})
	t.Logf("Socket.IO server matrix (times: from the kick, or from the restarted server listening):\n%s", matrixTable(rows))
}

// runMatrixCase is the life of one session against one server.
func runMatrixCase(t *testing.T, c matrixCase, row *matrixRow) {
	b := c.start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// REST: a wrong key is refused, the right one starts a run whose
	// contract says where the realtime channel is.
	bad, err := NewClient(Config{BaseURL: b.url(), APIKey: "wrong", Logger: quietLogger()})
	require.NoError(t, err)
	_, err = bad.Start(ctx, matrixProject, nil)
	require.ErrorContains(t, err, "401", "REST with a wrong key")
	rest, err := NewClient(Config{BaseURL: b.url(), APIKey: matrixKey, Logger: quietLogger()})
	require.NoError(t, err)
	ct, err := rest.Start(ctx, matrixProject, nil)
	require.NoError(t, err, "POST robot/%s/start", matrixProject)
	require.NotEmpty(t, ct.RunID)
	rtURL, nsp := rest.RealtimeEndpoint(ct)
	require.Equal(t, "/ab", nsp)
	state, err := rest.IOState(ctx, matrixProject)
	require.NoError(t, err, "io/state of a running run")
	require.Equal(t, ct.RunID, state["runId"], "io/state names the running run")

	// Realtime: a wrong key is refused with the server's words.
	_, err = Dial(ctx, SessionConfig{URL: rtURL, Namespace: nsp, APIKey: "wrong", RunID: ct.RunID,
		Handler: newRecorder(), DialTimeout: 15 * time.Second, Logger: quietLogger()})
	var rej *RejectedError
	require.ErrorAs(t, err, &rej, "a wrong key on /ab")
	require.Contains(t, strings.ToLower(rej.Message), "api key")

	cl := newMatrixClient(ct)
	sessionLog := &logSink{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("session log:\n%s", sessionLog.String())
		}
	})
	s, err := Dial(ctx, SessionConfig{URL: rtURL, Namespace: nsp, APIKey: matrixKey, RunID: ct.RunID, Handler: cl,
		DialTimeout: 15 * time.Second, Logger: slog.New(slog.NewTextHandler(sessionLog, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err, "dial and join")
	defer func() { require.NoError(t, s.Close()) }()
	cl.answer(s)
	defer cl.stop()
	row.join = "ok"

	// Needs answered with binary chunks, which the server sees as bytes.
	first := cl.waitNeed(t, time.Time{}, 0, 10*time.Second, "first io:need")
	require.Equal(t, ct.RunID, first.RunID)
	require.Len(t, first.Needs, len(ct.IO.Inputs), "one need per contract input")
	eventually(t, 10*time.Second, "the server sees the chunks as bytes", func() bool {
		v := b.view(t, ct.RunID)
		return v.Chunks >= 2*len(ct.IO.Inputs) && v.ChunkBytes > 0
	})
	v := b.view(t, ct.RunID)
	require.Zero(t, v.NonBinary, "chunks whose data did not arrive as bytes")
	require.Equal(t, 1, v.Joins, "one run:join for one connect")
	row.seenChunks, row.seenB = v.Chunks, v.ChunkBytes
	row.deflated = v.Deflated
	row.sentChunks, row.sentBytes = cl.sent()
	row.needs = "ok"

	// Cycles: cycle:update of the needs' cycles, with output rows.
	u := cl.waitCycle(t, first.Cycle, 10*time.Second)
	require.NotZero(t, outputRows(u), "cycle:update carries output rows")
	row.cycles = "ok"

	// A server-initiated disconnect: the session joins again by itself and
	// needs flow again.
	connects := s.Stats().Connects
	last := cl.lastNeed()
	kickedAt := time.Now()
	require.GreaterOrEqual(t, b.kick(t), 1, "the server disconnected our socket")
	rejoined := waitConnects(t, s, connects+1, "rejoin after the kick")
	row.kickRejoin = rejoined.Sub(kickedAt)
	cl.waitNeed(t, rejoined, last.Cycle, 10*time.Second, "io:need after the kick")
	require.GreaterOrEqual(t, b.view(t, ct.RunID).Joins, 2, "the session re-sent run:join")
	row.kick = "ok"

	// A graceful shutdown and a restart on the same port: the server
	// forgets the run. The session reconnects and re-joins that run; what
	// the server does with it is recorded (the run-loss handling is not
	// the session's yet).
	connects = s.Stats().Connects
	listening := b.restart(t, "")
	rejoined = waitConnects(t, s, connects+1, "reconnect after the restart")
	row.restartRejoin = rejoined.Sub(listening)
	eventually(t, 5*time.Second, "the restarted server got the session's run:join", func() bool {
		return b.view(t, ct.RunID).UnknownJoins >= 1
	})
	time.Sleep(forgottenWindow)
	v = b.view(t, ct.RunID)
	require.Zero(t, v.Joins, "a restarted server knows no run")
	// Recorded, not asserted: what the session does about a lost run is
	// being decided (run-loss handling).
	row.forgotten = fmt.Sprintf("join counted as unknown run; %d io:need in %v; session connected after: %v; last link down: %s",
		cl.needsSince(rejoined), forgottenWindow, s.Connected(), cl.lastDown())

	// A brain that kept the run across a restart: needs flow again, and
	// this is the time a robot waits after a server restart.
	if b.canAdopt() {
		connects = s.Stats().Connects
		listening = b.restart(t, matrixProject+"="+ct.RunID)
		waitConnects(t, s, connects+1, "reconnect after the second restart")
		n := cl.waitNeed(t, listening, 0, matrixRecover, "io:need from a restarted server that kept the run")
		row.restartNeed = n.At.Sub(listening)
		eventually(t, 10*time.Second, "chunks reach the restarted server", func() bool {
			v := b.view(t, ct.RunID)
			return v.Joins >= 1 && v.Chunks >= len(ct.IO.Inputs)
		})
		require.Zero(t, b.view(t, ct.RunID).NonBinary)
	}
	st := s.Stats()
	require.GreaterOrEqual(t, st.Reconnects, int64(2), "reconnected after the kick and the restart")
	require.Empty(t, st.Malformed, "events the session could not parse")
	row.restart = "ok"
	t.Logf("%s: kick→rejoin %v, listening→rejoin %v, listening→io:need (run kept) %v; %s; links: %s; stats %+v",
		c.name, row.kickRejoin, row.restartRejoin, row.restartNeed, row.forgotten, cl.linkLog(), st)
}

// waitConnects waits until the session has joined n times and is
// connected, and returns when it saw that.
func waitConnects(t *testing.T, s *Session, n int64, what string) time.Time {
	t.Helper()
	eventually(t, matrixRecover, what, func() bool { return s.Stats().Connects >= n && s.Connected() })
	return time.Now()
}

func (r *matrixRow) markFailure() {
	for _, f := range []*string{&r.join, &r.needs, &r.cycles, &r.kick, &r.restart} {
		if *f != "ok" {
			*f = "FAIL"
			return
		}
	}
}

func matrixTable(rows []*matrixRow) string {
	var sb strings.Builder
	sb.WriteString("| server | join | needs+chunks | cycles | kick recovered | restart recovered | kick→rejoin | listening→rejoin | listening→io:need (run kept) | forgotten run | chunks sent/seen (bytes) | ws deflate negotiated |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	ms := func(d time.Duration) string {
		if d == 0 {
			return "–"
		}
		return d.Round(time.Millisecond).String()
	}
	for _, r := range rows {
		if !r.ran {
			continue // not selected by -run
		}
		deflate := "?"
		if r.deflated >= 0 {
			deflate = strconv.Itoa(r.deflated)
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d/%d (%d/%d) | %s |\n",
			r.name, r.join, r.needs, r.cycles, r.kick, r.restart, ms(r.kickRejoin), ms(r.restartRejoin),
			ms(r.restartNeed), r.forgotten, r.sentChunks, r.seenChunks, r.sentBytes, r.seenB, deflate)
	}
	return sb.String()
}

// ---- the client side --------------------------------------------------------

// matrixClient is the session's Handler: it keeps every need and cycle and
// answers needs from its own goroutine (Handler methods must not block).
type matrixClient struct {
	gamma   int
	queue   chan Need
	done    chan struct{}
	stopped sync.Once

	mu                   sync.Mutex
	needs                []Need
	cycles               []CycleUpdate
	links                []Link
	seq                  map[string]int64
	sentChunks, sentData int
	sendErr              error
}

func newMatrixClient(ct *contract.Contract) *matrixClient {
	return &matrixClient{gamma: ct.Constants.Gamma, queue: make(chan Need, 1024), done: make(chan struct{}), seq: map[string]int64{}}
}

func (c *matrixClient) OnNeed(n Need) {
	c.mu.Lock()
	c.needs = append(c.needs, n)
	c.mu.Unlock()
	select {
	case c.queue <- n:
	default: // the answerer is far behind; the server's deadline covers it
	}
}

// OnLink keeps the link changes: their reasons say how each server's
// events looked to the session.
func (c *matrixClient) OnLink(l Link) {
	c.mu.Lock()
	c.links = append(c.links, l)
	c.mu.Unlock()
}

func (c *matrixClient) linkLog() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, l := range c.links {
		if l.Up {
			parts = append(parts, "up")
		} else {
			parts = append(parts, "down ("+l.Reason+")")
		}
	}
	return strings.Join(parts, ", ")
}

// lastDown is the reason of the latest link loss.
func (c *matrixClient) lastDown() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.links) - 1; i >= 0; i-- {
		if !c.links[i].Up {
			return c.links[i].Reason
		}
	}
	return "none"
}

func (c *matrixClient) OnCycle(u CycleUpdate) {
	c.mu.Lock()
	c.cycles = append(c.cycles, u)
	c.mu.Unlock()
}

// answer starts answering needs through s.
func (c *matrixClient) answer(s *Session) {
	go func() {
		for {
			select {
			case <-c.done:
				return
			case n := <-c.queue:
				for _, item := range n.Needs {
					c.mu.Lock()
					c.seq[item.ID]++
					seq := c.seq[item.ID]
					c.mu.Unlock()
					ch := matrixChunk(item, n.Cycle, seq, c.gamma)
					err := s.SendChunk(ch)
					c.mu.Lock()
					if err == nil {
						c.sentChunks++
						c.sentData += len(ch.Data)
					} else if !errors.Is(err, ErrDisconnected) {
						c.sendErr = err
					}
					c.mu.Unlock()
				}
			}
		}
	}()
}

func (c *matrixClient) stop() { c.stopped.Do(func() { close(c.done) }) }

func (c *matrixClient) sent() (chunks, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sentChunks, c.sentData
}

func (c *matrixClient) lastNeed() Need {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.needs) == 0 {
		return Need{}
	}
	return c.needs[len(c.needs)-1]
}

func (c *matrixClient) needsSince(at time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, need := range c.needs {
		if !need.At.Before(at) {
			n++
		}
	}
	return n
}

// waitNeed waits for an io:need received at or after since with a cycle
// above minCycle (0: any).
func (c *matrixClient) waitNeed(t *testing.T, since time.Time, minCycle int64, within time.Duration, what string) Need {
	t.Helper()
	var found Need
	eventually(t, within, what, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		require.NoError(t, c.sendErr, "io:chunk send")
		for _, n := range c.needs {
			if !n.At.Before(since) && (minCycle == 0 || n.Cycle > minCycle) {
				found = n
				return true
			}
		}
		return false
	})
	return found
}

// waitCycle waits for the cycle:update of cycle.
func (c *matrixClient) waitCycle(t *testing.T, cycle int64, within time.Duration) CycleUpdate {
	t.Helper()
	var found CycleUpdate
	eventually(t, within, fmt.Sprintf("cycle:update of cycle %d", cycle), func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, u := range c.cycles {
			if u.Cycle == cycle {
				found = u
				return true
			}
		}
		return false
	})
	return found
}

// matrixChunk answers one need the way the bridge's encoders do for its
// kind, so that the local brain's format checks accept it too.
func matrixChunk(item NeedItem, cycle, seq int64, gamma int) Chunk {
	c := Chunk{InputID: item.ID, Kind: item.Kind, Seq: seq, T: float64(time.Now().UnixNano()) / 1e9,
		Meta: map[string]any{"cycle": cycle}}
	f32 := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	switch item.Kind {
	case contract.KindImage:
		c.Format = "jpeg"
		c.Data = noiseJPEG(64, 48) // a few kilobytes; the local brain decodes it
		c.Meta["width"], c.Meta["height"] = 64, 48
	case contract.KindProprioception:
		c.Format = "rawtick_f32x3"
		c.Data = f32(0.1, 0.1, 0)
		c.Meta["rawTick"], c.Meta["prevRawTick"], c.Meta["velTickPerS"] = 0.1, 0.1, 0.0
	case contract.KindFeedback:
		c.Format = "deviation_f32"
		c.Data = f32(make([]float32, gamma)...)
		c.Meta["T"] = gamma
	case contract.KindAudio:
		c.Format = "pcm16"
		c.Data = make([]byte, 320)
		c.Meta["sampleRate"], c.Meta["channels"] = 16000, 1
	default:
		c.Format = "bytes"
		c.Data = []byte{1, 2, 3, 4}
	}
	return c
}

// ---- brains in their own process ----------------------------------------------

func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// pythonBrainCommand runs test/peers/ab_brain.py with the project's venv,
// which carries python-socketio, aiohttp and uvicorn.
func pythonBrainCommand(t *testing.T) []string {
	return []string{projectPython(t), "-u", filepath.Join(repoRoot(t), "test", "peers", "ab_brain.py")}
}

// nodeCommand runs the Node twin; scripts/setup installs its pinned
// socket.io. AB_NODE overrides the node binary.
func nodeCommand(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "test", "peers", "ab_brain_node")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "socket.io", "package.json")); err != nil {
		t.Fatalf("the Node test brain's modules are not installed (run scripts/setup): %v", err)
	}
	node := os.Getenv("AB_NODE")
	if node == "" {
		var err error
		if node, err = exec.LookPath("node"); err != nil {
			t.Fatalf("no node on PATH (set AB_NODE or install Node.js 18+): %v", err)
		}
	}
	return []string{node, filepath.Join(dir, "ab_brain.js")}
}

// peerBrain is ab_brain.py or its Node twin, controlled through its stdin
// and stdout; restarts keep the port.
type peerBrain struct {
	t    *testing.T
	argv []string
	port int

	mu  sync.Mutex
	cur *peerProc
}

type peerProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // stdout, line by line
	exited chan struct{}
	stderr *logSink
}

func startPeerBrain(t *testing.T, argv ...string) *peerBrain {
	p := &peerBrain{t: t, argv: argv}
	p.launch(0, "")
	t.Cleanup(p.kill)
	return p
}

func (p *peerBrain) url() string { return "http://127.0.0.1:" + strconv.Itoa(p.port) }

func (p *peerBrain) canAdopt() bool { return true }

// launch starts the process in its own process group and waits for its
// PORT line.
func (p *peerBrain) launch(port int, adopt string) time.Time {
	t := p.t
	t.Helper()
	args := append(append([]string(nil), p.argv[1:]...), "--port", strconv.Itoa(port), "--period-ms", strconv.Itoa(int(matrixPeriod/time.Millisecond)))
	if adopt != "" {
		args = append(args, "--adopt-run", adopt)
	}
	cmd := exec.Command(p.argv[0], args...)
	cmd.Env = append(os.Environ(), "AB_BRAIN_KEY="+matrixKey, "PYTHONUNBUFFERED=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	proc := &peerProc{cmd: cmd, stdin: stdin, lines: make(chan string, 256), exited: make(chan struct{}), stderr: &logSink{}}
	cmd.Stderr = proc.stderr
	require.NoError(t, cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case proc.lines <- sc.Text():
			default: // nobody asked; the test reads answers right after asking
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		close(proc.lines)
	}()
	go func() {
		_ = cmd.Wait()
		close(proc.exited)
	}()
	p.mu.Lock()
	p.cur = proc
	p.mu.Unlock()
	line := p.expect("PORT ", 20*time.Second, "listening")
	at := time.Now()
	got, err := strconv.Atoi(strings.TrimPrefix(line, "PORT "))
	require.NoError(t, err, "PORT line %q", line)
	if port != 0 {
		require.Equal(t, port, got, "restarted on its port")
	}
	p.port = got
	return at
}

// expect reads stdout lines until one starts with prefix.
func (p *peerBrain) expect(prefix string, within time.Duration, what string) string {
	t := p.t
	t.Helper()
	p.mu.Lock()
	proc := p.cur
	p.mu.Unlock()
	timeout := time.After(within)
	for {
		select {
		case line, ok := <-proc.lines:
			if !ok {
				<-proc.exited
				t.Fatalf("%s: test brain %s ended (%v) before saying %q; stderr:\n%s", what, p.argv[len(p.argv)-1], proc.cmd.ProcessState, prefix, proc.stderr.String())
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("%s: test brain said no %q within %v; stderr:\n%s", what, prefix, within, proc.stderr.String())
		}
	}
}

func (p *peerBrain) command(cmd, answer string) string {
	p.t.Helper()
	p.mu.Lock()
	proc := p.cur
	p.mu.Unlock()
	_, err := io.WriteString(proc.stdin, cmd+"\n")
	require.NoError(p.t, err, "command %q to the test brain", cmd)
	return strings.TrimPrefix(p.expect(answer, 10*time.Second, cmd), answer)
}

func (p *peerBrain) kick(t *testing.T) int {
	n, err := strconv.Atoi(p.command("kick", "KICKED "))
	require.NoError(t, err)
	return n
}

func (p *peerBrain) view(t *testing.T, run string) brainView {
	var st struct {
		Joins, Chunks, ChunkBytes     map[string]int
		NonBinaryChunks, UnknownJoins int
	}
	require.NoError(t, json.Unmarshal([]byte(p.command("stats", "STATS ")), &st))
	return brainView{Joins: st.Joins[run], Chunks: st.Chunks[run], ChunkBytes: st.ChunkBytes[run],
		NonBinary: st.NonBinaryChunks, UnknownJoins: st.UnknownJoins}
}

// restart asks for a graceful shutdown (it must end by itself, exit 0),
// then starts the same server on the same port.
func (p *peerBrain) restart(t *testing.T, adopt string) time.Time {
	t.Helper()
	p.command("shutdown", "BYE")
	p.mu.Lock()
	proc := p.cur
	p.mu.Unlock()
	select {
	case <-proc.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("test brain did not end within 10 s of a graceful shutdown; stderr:\n%s", proc.stderr.String())
	}
	require.True(t, proc.cmd.ProcessState.Success(), "graceful shutdown exit: %v; stderr:\n%s", proc.cmd.ProcessState, proc.stderr.String())
	return p.launch(p.port, adopt)
}

// kill ends the current process: its stdin closed (a shutdown), then
// SIGKILL to its process group if it lingers.
func (p *peerBrain) kill() {
	p.mu.Lock()
	proc := p.cur
	p.mu.Unlock()
	if proc == nil {
		return
	}
	_ = proc.stdin.Close()
	select {
	case <-proc.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-proc.cmd.Process.Pid, syscall.SIGKILL)
		<-proc.exited
	}
	if p.t.Failed() {
		p.t.Logf("test brain stderr:\n%s", proc.stderr.String())
	}
}

// ---- the local brain, in process ----------------------------------------------------

type localMatrixBrain struct {
	t    *testing.T
	addr string
	srv  *localbrain.Server
}

func startLocalMatrixBrain(t *testing.T) matrixBrain {
	b := &localMatrixBrain{t: t}
	b.open("127.0.0.1:0")
	t.Cleanup(func() { _ = b.srv.Close() })
	return b
}

func (b *localMatrixBrain) open(addr string) time.Time {
	srv, err := localbrain.New(localbrain.Config{Addr: addr, APIKey: matrixKey, CycleInterval: matrixPeriod})
	require.NoError(b.t, err)
	b.srv = srv
	b.addr = strings.TrimPrefix(srv.URL(), "http://")
	return time.Now()
}

func (b *localMatrixBrain) url() string    { return b.srv.URL() }
func (b *localMatrixBrain) canAdopt() bool { return false }

// kick is the local brain's own: it drops the transports of the run's
// sockets (its clients then reconnect as after a network fault).
func (b *localMatrixBrain) kick(t *testing.T) int {
	n := 0
	for _, r := range b.srv.Runs() {
		if r.Stopped.IsZero() {
			n += b.srv.Kick(r.RunID)
		}
	}
	return n
}

func (b *localMatrixBrain) restart(t *testing.T, adopt string) time.Time {
	require.Empty(t, adopt, "the local brain cannot keep a run")
	require.NoError(t, b.srv.Close(), "graceful close of the local brain")
	return b.open(b.addr)
}

func (b *localMatrixBrain) view(t *testing.T, run string) brainView {
	v := brainView{UnknownJoins: b.srv.Unassigned(), Deflated: -1}
	for _, r := range b.srv.Runs() {
		if r.RunID != run {
			continue
		}
		for _, j := range r.Joins {
			if !j.Auto { // the local brain also puts a reconnecting socket back by itself
				v.Joins++
			}
		}
		v.Chunks = len(r.Chunks)
		for _, c := range r.Chunks {
			v.ChunkBytes += c.Len
		}
		// The local brain refuses a chunk without a binary attachment as
		// malformed.
		for _, m := range r.Malformed {
			if m.Event == EventChunk && strings.Contains(m.Reason, "binary attachment") {
				v.NonBinary++
			}
		}
	}
	return v
}

// noiseJPEG is a JPEG of random gray pixels: it compresses badly, so it
// weighs what a camera frame does.
func noiseJPEG(w, h int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	_, _ = rand.Read(img.Pix)
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, nil) // an in-memory encode of a valid image does not fail
	return buf.Bytes()
}
