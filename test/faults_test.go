package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fault injection on a real ROS 2 graph: the node drives a kinematic rclpy
// arm (test/peers/fault_robot.py) from a brain that runs as a separate
// process on a fixed loopback port, so that it can be killed, stopped,
// frozen and restarted where the node expects it. After every fault the
// test checks what the robot received (exactly one hold per loss episode,
// at the last measured positions, and no motion until the brain is back),
// what the brain received (nothing for a run it does not know, the new run
// joined and fed), and that the node lives on; for every recovery it
// measures "brain listening again → first trajectory at the robot that is
// not a hold" and reports the figures (go test ./test -run TestFaults -v).

// recoveryBound is the functional bound on a recovery: the protocol's
// backoff tops out at 5 s, plus a run start and a cycle.
const recoveryBound = 6 * time.Second

// exact is how far a hold may be from a measured position: joint_states
// positions travel as float64 through the node unchanged.
const exact = 1e-9

// --- line taps --------------------------------------------------------------

// lineTap calls onLine with every complete line written to it and the time
// it arrived, so that a test times what a process prints.
type lineTap struct {
	mu      sync.Mutex
	partial []byte
	onLine  func(at time.Time, line string)
}

func (l *lineTap) Write(p []byte) (int, error) {
	at := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		l.onLine(at, line)
	}
}

// --- the robot ----------------------------------------------------------------

// trajRec is one trajectory the robot received (fault_robot.py's TRAJ line).
type trajRec struct {
	At      time.Time
	N       int       `json:"n"`
	Hold    bool      `json:"hold"`
	First   []float64 `json:"first"`
	Refused *string   `json:"refused"`
	DLast   *float64  `json:"d_last"`
	DRecent *float64  `json:"d_recent"`
	PMin    []float64 `json:"pmin"`
	PMax    []float64 `json:"pmax"`
	VMax    []float64 `json:"vmax"`
}

func (r trajRec) motion() bool { return r.Refused == nil && !r.Hold }

type robotSummary struct {
	Contract  trajectoryTally `json:"contract"`
	Published int             `json:"published"`
	Holds     int             `json:"holds"`
	Motions   int             `json:"motions"`
}

type faultRobot struct {
	p     *proc
	stdin io.WriteCloser

	mu      sync.Mutex
	trajs   []trajRec
	marks   map[string]time.Time // PAUSED / RESUMED, the robot's own time of the change
	summary *robotSummary
	bad     []string // lines that did not parse
}

func startFaultRobot(t *testing.T, env []string, paused bool) *faultRobot {
	t.Helper()
	args := []string{filepath.Join(repoRoot(t), "test", "peers", "fault_robot.py")}
	if paused {
		args = append(args, "--paused")
	}
	cmd := exec.Command(venvPython(t), args...)
	cmd.Env = env
	r := &faultRobot{marks: map[string]time.Time{}}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	r.stdin = stdin
	r.p = startProcTee(t, "fault-robot", cmd, &lineTap{onLine: r.line})
	r.p.waitOutput(t, "READY", 30*time.Second)
	return r
}

func (r *faultRobot) line(_ time.Time, line string) {
	word, rest, _ := strings.Cut(line, " ")
	r.mu.Lock()
	defer r.mu.Unlock()
	switch word {
	case "TRAJ":
		var rec struct {
			trajRec
			T float64 `json:"t"`
		}
		if err := json.Unmarshal([]byte(rest), &rec); err != nil {
			r.bad = append(r.bad, line)
			return
		}
		rec.trajRec.At = unixSeconds(rec.T)
		r.trajs = append(r.trajs, rec.trajRec)
	case "PAUSED", "RESUMED":
		s, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			r.bad = append(r.bad, line)
			return
		}
		r.marks[word] = unixSeconds(s)
	case "SUMMARY":
		var s robotSummary
		if err := json.Unmarshal([]byte(rest), &s); err != nil {
			r.bad = append(r.bad, line)
			return
		}
		r.summary = &s
	}
}

func (r *faultRobot) received() []trajRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.trajs)
}

// between is what arrived in (from, to].
func (r *faultRobot) between(from, to time.Time) (holds, motions []trajRec) {
	for _, x := range r.received() {
		if x.At.After(from) && !x.At.After(to) {
			if x.Hold {
				holds = append(holds, x)
			} else if x.motion() {
				motions = append(motions, x)
			}
		}
	}
	return holds, motions
}

// firstMotionAfter waits for the first motion trajectory received after t0.
func (r *faultRobot) firstMotionAfter(t *testing.T, t0 time.Time, timeout time.Duration) trajRec {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, x := range r.received() {
			if x.motion() && x.At.After(t0) {
				return x
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no motion trajectory at the robot within %s", timeout)
		}
		if r.p.exited() {
			t.Fatalf("the robot exited: %v", r.p.err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// firstHoldAfter waits for the first hold received after t0.
func (r *faultRobot) firstHoldAfter(t *testing.T, t0 time.Time, timeout time.Duration) trajRec {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, x := range r.received() {
			if x.Hold && x.At.After(t0) {
				return x
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hold at the robot within %s of the fault", timeout)
		}
		if r.p.exited() {
			t.Fatalf("the robot exited: %v", r.p.err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// command sends one stdin command and waits for the robot's answer mark.
func (r *faultRobot) command(t *testing.T, cmd, mark string) time.Time {
	t.Helper()
	r.mu.Lock()
	delete(r.marks, mark)
	r.mu.Unlock()
	_, err := io.WriteString(r.stdin, cmd+"\n")
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		at, ok := r.marks[mark]
		r.mu.Unlock()
		if ok {
			return at
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("robot did not answer %q", cmd)
	return time.Time{}
}

// finish stops the robot and checks that it refused nothing and saw what
// it reported line by line.
func (r *faultRobot) finish(t *testing.T) robotSummary {
	t.Helper()
	_, _ = io.WriteString(r.stdin, "quit\n")
	select {
	case <-r.p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("robot did not quit within 10 s")
	}
	require.NoError(t, r.p.err, "robot exit status")
	r.mu.Lock()
	s, bad := r.summary, r.bad
	r.mu.Unlock()
	require.Empty(t, bad, "robot lines that did not parse")
	require.NotNil(t, s, "robot printed no summary")
	require.Zero(t, s.Contract.Refused, "trajectories the controller contract refuses: %v %v", s.Contract.RefusedByRule, s.Contract.FirstRefusals)
	holds, motions := r.between(time.Time{}, time.Now())
	assert.Equal(t, s.Holds, len(holds), "holds reported one by one")
	assert.Equal(t, s.Motions, len(motions), "motions reported one by one")
	return *s
}

// --- brains -------------------------------------------------------------------

// freePort is a loopback port nobody listens on now; the test's brains
// take turns on it.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// faultBrain is one brain kind on one fixed port, restarted as a new
// process after each fault.
type faultBrain struct {
	t      *testing.T
	kind   string // local, aiohttp or uvicorn
	port   int
	env    []string
	dir    string
	n      int // incarnations so far
	p      *proc
	stdin  io.WriteCloser
	record string // the local brain's event record of this incarnation

	mu       sync.Mutex
	listenAt time.Time
}

func newFaultBrain(t *testing.T, env []string, kind string) *faultBrain {
	return &faultBrain{t: t, kind: kind, port: freePort(t), env: env, dir: t.TempDir()}
}

func (b *faultBrain) url() string { return fmt.Sprintf("http://127.0.0.1:%d", b.port) }

// start runs a new incarnation and returns when it printed its listening
// line, with the time that line arrived.
func (b *faultBrain) start() time.Time {
	t := b.t
	t.Helper()
	b.n++
	var cmd *exec.Cmd
	var marker string
	switch b.kind {
	case "local":
		b.record = filepath.Join(b.dir, fmt.Sprintf("brain-%d.jsonl", b.n))
		cmd = exec.Command(goBinary(t, "cmd/abctl"), "local-brain", "--listen", fmt.Sprintf("127.0.0.1:%d", b.port), "--record", b.record)
		marker = "local brain listening on"
	default:
		cmd = exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "ab_brain.py"),
			"--server", b.kind, "--port", strconv.Itoa(b.port))
		// ab_brain.py shuts down at the end of its stdin: keep it open.
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		b.stdin = stdin
		marker = fmt.Sprintf("PORT %d", b.port)
	}
	cmd.Env = b.env
	b.mu.Lock()
	b.listenAt = time.Time{}
	b.mu.Unlock()
	tap := &lineTap{onLine: func(at time.Time, line string) {
		if strings.Contains(line, marker) {
			b.mu.Lock()
			if b.listenAt.IsZero() {
				b.listenAt = at
			}
			b.mu.Unlock()
		}
	}}
	b.p = startProcTee(t, fmt.Sprintf("%s-brain-%d", b.kind, b.n), cmd, tap)
	b.p.waitOutput(t, marker, 30*time.Second)
	b.mu.Lock()
	defer b.mu.Unlock()
	require.False(t, b.listenAt.IsZero())
	return b.listenAt
}

// kill9 kills the incarnation without a word to anyone.
func (b *faultBrain) kill9() time.Time {
	b.t.Helper()
	at := time.Now()
	require.NoError(b.t, syscall.Kill(-b.p.cmd.Process.Pid, syscall.SIGKILL))
	b.waitGone(5 * time.Second)
	return at
}

// graceful stops the incarnation the way it stops cleanly: SIGINT for the
// local brain, "shutdown" on stdin for ab_brain.py.
func (b *faultBrain) graceful() time.Time {
	t := b.t
	t.Helper()
	at := time.Now()
	if b.kind == "local" {
		require.NoError(t, syscall.Kill(b.p.cmd.Process.Pid, syscall.SIGINT))
	} else {
		_, err := io.WriteString(b.stdin, "shutdown\n")
		require.NoError(t, err)
	}
	b.waitGone(15 * time.Second)
	require.NoError(t, b.p.err, "graceful exit status")
	if b.kind != "local" {
		require.Contains(t, b.p.out.String(), "BYE")
	}
	return at
}

func (b *faultBrain) waitGone(timeout time.Duration) {
	select {
	case <-b.p.done:
	case <-time.After(timeout):
		b.t.Fatalf("%s brain still running %s after being stopped", b.kind, timeout)
	}
}

// freeze stops the incarnation with SIGSTOP; the cleanup it registers
// continues it, so no stopped process outlives the test.
func (b *faultBrain) freeze() time.Time {
	b.t.Helper()
	pid := b.p.cmd.Process.Pid
	b.t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGCONT) })
	at := time.Now()
	require.NoError(b.t, syscall.Kill(-pid, syscall.SIGSTOP))
	return at
}

func (b *faultBrain) thaw() time.Time {
	b.t.Helper()
	at := time.Now()
	require.NoError(b.t, syscall.Kill(-b.p.cmd.Process.Pid, syscall.SIGCONT))
	return at
}

// pyStats is ab_brain.py's /test/stats.
type pyStats struct {
	Connects         int            `json:"connects"`
	Disconnects      int            `json:"disconnects"`
	UnknownJoins     int            `json:"unknownJoins"`
	UnknownRunEvents int            `json:"unknownRunEvents"`
	NonBinaryChunks  int            `json:"nonBinaryChunks"`
	Kicks            int            `json:"kicks"`
	Joins            map[string]int `json:"joins"`
	Chunks           map[string]int `json:"chunks"`
	States           map[string]int `json:"states"`
	Rewards          map[string]int `json:"rewards"`
	Needs            map[string]int `json:"needs"`
	Runs             []string       `json:"runs"`
}

func (b *faultBrain) stats() pyStats {
	t := b.t
	t.Helper()
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(b.url() + "/test/stats")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st pyStats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

// kick has ab_brain.py disconnect every socket (a namespace DISCONNECT).
func (b *faultBrain) kick() time.Time {
	b.t.Helper()
	at := time.Now()
	_, err := io.WriteString(b.stdin, "kick\n")
	require.NoError(b.t, err)
	b.p.waitOutput(b.t, "KICKED", 5*time.Second)
	return at
}

// localEvent is one line of this incarnation's record, with the run its
// payload names.
type localEvent struct {
	At      time.Time
	Event   string
	Run     string
	InputID string
}

func (b *faultBrain) events() []localEvent {
	t := b.t
	t.Helper()
	f, err := os.Open(b.record)
	require.NoError(t, err)
	defer f.Close()
	var out []localEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var line recorded
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			continue // the line a kill -9 cut short
		}
		var p struct {
			RunID   string `json:"runId"`
			InputID string `json:"inputId"`
		}
		_ = json.Unmarshal(line.Payload, &p)
		out = append(out, localEvent{At: line.Time, Event: line.Event, Run: p.RunID, InputID: p.InputID})
	}
	return out
}

// --- the node -------------------------------------------------------------------

type faultNode struct {
	p *proc
}

// configSection is the text of the shipped configuration from the line
// starting with from up to (not including) the line starting with to.
func configSection(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "bridge.yaml"))
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "\n"+from)
	require.GreaterOrEqual(t, i, 0, from)
	j := strings.Index(s[i+1:], "\n"+to)
	require.GreaterOrEqual(t, j, 0, to)
	return s[i+1 : i+1+j+1]
}

// pyBrainConfig fits the node to ab_brain.py's contract: its
// Proprioception and Feedback inputs (its camera has no entry, so its needs
// are skipped and counted) and its two motor populations on the two joints.
func pyBrainConfig(t *testing.T) []string {
	return []string{
		configSection(t, "inputs:", "# How output populations"), `inputs:
  - id: shoulder_pos
    kind: Proprioception
    joint: shoulder
    max_age: 500ms
  - id: fb
    kind: Feedback
    format: deviation_f32

`,
		configSection(t, "mapping:", "# Each trajectory is one"), `mapping:
  - node_id: V1
    channel: joint:0
    scheme: bipolarSplit
    per_step_max: 0.0005
  - node_id: V2
    channel: joint:1
    scheme: bipolarSplit
    per_step_max: 0.0005

`,
	}
}

func startFaultNode(t *testing.T, env []string, b *faultBrain) *faultNode {
	t.Helper()
	repl := append(brainURLSetting(b.url()),
		// Idle cycles would publish a one-point trajectory at rest too;
		// without them every such trajectory is a hold the node chose.
		"\n  publish_idle: true\n", "\n  publish_idle: false\n",
		// robot:state is the one message nobody asks for: ten times the
		// default rate makes one that falls between a rejoin and a
		// restarted brain's refusal of it (the run it forgot) likely
		// enough for ten restarts to show it.
		"\n  rate_hz: 20\n", "\n  rate_hz: 200\n")
	if b.kind != "local" {
		repl = append(repl, pyBrainConfig(t)...)
	}
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), nodeArgv(writeNodeConfig(t, "/arm/ab_bridge", repl...))...)
	cmd.Env = env
	n := &faultNode{p: startProc(t, "ab_bridge_node", cmd)}
	n.p.waitOutput(t, "realtime joined", 30*time.Second)
	return n
}

var runReplaced = regexp.MustCompile(`msg="run started" run=(\S+) replaces=(\S+)`)

// replaced lists the runs started in place of a forgotten one, in order.
func (n *faultNode) replaced() [][2]string {
	var out [][2]string
	for _, m := range runReplaced.FindAllStringSubmatch(n.p.out.String(), -1) {
		out = append(out, [2]string{m[1], m[2]})
	}
	return out
}

// waitReplaced waits until want runs have been replaced and returns the
// newest.
func (n *faultNode) waitReplaced(t *testing.T, want int, timeout time.Duration) [2]string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if r := n.replaced(); len(r) >= want {
			require.Len(t, r, want, "one new run per restart")
			return r[want-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start run #%d in place of a forgotten one within %s", want, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var firstRun = regexp.MustCompile(`msg="run started" run=(\S+) gamma=`)

func (n *faultNode) firstRun(t *testing.T) string {
	t.Helper()
	m := firstRun.FindStringSubmatch(n.p.out.String())
	require.NotNil(t, m, "the node's run started line")
	return m[1]
}

var stopLine = regexp.MustCompile(`msg="bridge stopped" (.*)`)
var kv = regexp.MustCompile(`(\w+)=(\S+)`)

// stop interrupts the node, which must exit 0, and returns the counters of
// its stop line.
func (n *faultNode) stop(t *testing.T) map[string]int {
	t.Helper()
	require.False(t, n.p.exited(), "the node is still running after the faults (%v)", n.p.err)
	require.NoError(t, syscall.Kill(n.p.cmd.Process.Pid, syscall.SIGINT))
	select {
	case <-n.p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("node still running 10 s after SIGINT")
	}
	require.NoError(t, n.p.err, "node exit status")
	out := n.p.out.String()
	assert.NotContains(t, out, "panic")
	m := stopLine.FindStringSubmatch(out)
	require.NotNil(t, m, "the node's stop line")
	counters := map[string]int{}
	for _, p := range kv.FindAllStringSubmatch(m[1], -1) {
		if v, err := strconv.Atoi(p[2]); err == nil {
			counters[p[1]] = v
		}
	}
	return counters
}

// --- episodes -------------------------------------------------------------------

// figures collects the recoveries of every scenario for the report.
type figures struct {
	mu    sync.Mutex
	order []string
	rec   map[string][]time.Duration
	holds map[string]int
}

func (f *figures) add(scenario string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.rec[scenario]; !ok {
		f.order = append(f.order, scenario)
	}
	f.rec[scenario] = append(f.rec[scenario], d)
}

func (f *figures) addHolds(scenario string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds[scenario] += n
}

func (f *figures) report(t *testing.T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "recovery: brain listening again (or continued, or kick) → first trajectory at the robot that is not a hold\n")
	fmt.Fprintf(&b, "%-28s %3s %8s %8s %8s %6s\n", "scenario", "n", "min", "median", "max", "holds")
	for _, s := range f.order {
		ds := slices.Clone(f.rec[s])
		slices.Sort(ds)
		ms := func(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/1e6) }
		fmt.Fprintf(&b, "%-28s %3d %8s %8s %8s %6d\n", s, len(ds), ms(ds[0]), ms(ds[len(ds)/2]), ms(ds[len(ds)-1]), f.holds[s])
	}
	t.Log("\n" + b.String())
}

// lossEpisode checks what the robot received from a fault at fault until
// the first motion after back (the brain listening again, continued or
// reconnected): exactly one hold, at a position the robot had just
// published, after which nothing moved the arm until the brain was back.
// It returns the recovery, back → that first motion.
func lossEpisode(t *testing.T, r *faultRobot, name string, fault, back time.Time, holdWithin time.Duration) time.Duration {
	t.Helper()
	// A trajectory published just before the fault can arrive just after
	// it (a kick's "back" is the fault itself): the recovery's first motion
	// is the first after both the brain's return and the hold.
	from := back
	if h := r.firstHoldAfter(t, fault, 2*recoveryBound); h.At.After(from) {
		from = h.At
	}
	first := r.firstMotionAfter(t, from, 2*recoveryBound)
	recovery := first.At.Sub(back)
	holds, motions := r.between(fault, first.At.Add(-time.Nanosecond))
	require.Equal(t, 1, len(holds), "%s: exactly one hold from the fault to the first motion after it", name)
	h := holds[0]
	assert.True(t, h.At.Before(back) || back.Sub(fault) < holdWithin, "%s: the hold came while the brain was away", name)
	assert.Less(t, h.At.Sub(fault), holdWithin, "%s: the hold came %s after the fault", name, h.At.Sub(fault))
	require.NotNil(t, h.DRecent, "%s: the robot had published joint_states before the hold", name)
	assert.Less(t, *h.DRecent, exact, "%s: the hold is at a position the robot had just measured (%v)", name, h.First)
	for _, m := range motions {
		assert.False(t, m.At.After(h.At), "%s: motion %s after the hold, before the brain was back", name, m.At.Sub(h.At))
	}
	assert.Less(t, recovery, recoveryBound, "%s: recovery", name)
	t.Logf("%s: hold %s after the fault, first motion %s after the brain was back", name,
		h.At.Sub(fault).Round(time.Millisecond), recovery.Round(time.Millisecond))
	return recovery
}

// checkLocalIncarnation checks what one local brain incarnation recorded:
// it got chunks of run, and nothing but run:join named another run.
func checkLocalIncarnation(t *testing.T, b *faultBrain, run string) {
	t.Helper()
	chunks, foreign := 0, 0
	var firstForeign localEvent
	for _, e := range b.events() {
		switch {
		case e.Event == "run:join":
		case e.Run != run:
			if foreign == 0 {
				firstForeign = e
			}
			foreign++
		case e.Event == "io:chunk":
			chunks++
		}
	}
	assert.Positive(t, chunks, "local brain #%d got chunks of run %s", b.n, run)
	assert.Zero(t, foreign, "local brain #%d got events of a run it does not serve, first %+v", b.n, firstForeign)
}

// checkPyIncarnation checks a restarted ab_brain.py: it refused the join of
// the run it forgot once, the node joined the new run and feeds it, and
// nothing came for a run it does not know.
func checkPyIncarnation(t *testing.T, b *faultBrain, run string, restarted bool) {
	t.Helper()
	st := b.stats()
	assert.Equal(t, []string{run}, st.Runs, "brain #%d runs", b.n)
	assert.Positive(t, st.Joins[run], "brain #%d: the node joined run %s", b.n, run)
	assert.Positive(t, st.Chunks[run], "brain #%d: chunks of run %s", b.n, run)
	assert.Zero(t, st.UnknownRunEvents, "brain #%d: io:chunk, robot:state or learn:reward for a run it does not know", b.n)
	assert.Zero(t, st.NonBinaryChunks, "brain #%d", b.n)
	if restarted {
		assert.Equal(t, 1, st.UnknownJoins, "brain #%d: the forgotten run's join, once", b.n)
	} else {
		assert.Zero(t, st.UnknownJoins, "brain #%d", b.n)
	}
}

// --- scenarios ------------------------------------------------------------------

func TestFaults(t *testing.T) {
	figs := &figures{rec: map[string][]time.Duration{}, holds: map[string]int{}}
	defer figs.report(t)

	// Ten restarts each, alternating a short and a long life (a connection
	// that lasted under 5 s keeps the backoff growing, a longer one starts
	// it from 1 s again), so the figures cover both.
	lives := []time.Duration{1200 * time.Millisecond, 5500 * time.Millisecond}
	restarts := func(t *testing.T, kind, scenario string, times int, stopIt func(*faultBrain) time.Time, holdWithin time.Duration) {
		env := rosEnv(t)
		b := newFaultBrain(t, env, kind)
		b.start()
		robot := startFaultRobot(t, env, false)
		n := startFaultNode(t, env, b)
		run := n.firstRun(t)
		robot.firstMotionAfter(t, time.Time{}, 30*time.Second)
		time.Sleep(lives[1])
		for i := 1; i <= times; i++ {
			name := fmt.Sprintf("%s #%d", scenario, i)
			if kind != "local" {
				checkPyIncarnation(t, b, run, i > 1)
			}
			fault := stopIt(b)
			if kind == "local" {
				checkLocalIncarnation(t, b, run)
			}
			back := b.start()
			figs.add(scenario, lossEpisode(t, robot, name, fault, back, holdWithin))
			figs.addHolds(scenario, 1)
			next := n.waitReplaced(t, i, recoveryBound)
			require.Equal(t, run, next[1], "%s: the new run replaces the forgotten one", name)
			run = next[0]
			require.False(t, n.p.exited(), "%s: the node runs on", name)
			time.Sleep(lives[i%2])
		}
		if kind != "local" {
			checkPyIncarnation(t, b, run, true) // before the node stops the run
		}
		// The node before the brain: stopping the brain first would be one
		// more loss.
		st := n.stop(t)
		if kind == "local" {
			checkLocalIncarnation(t, b, run)
		}
		sum := robot.finish(t)
		assert.Equal(t, times, sum.Holds, "one hold per restart")
		assert.Equal(t, times, st["holds"], "the node counted one hold per restart")
		assert.Equal(t, times, st["runs_gone"], "each restart forgot the run once")
		assert.Zero(t, st["malformed_rows"])
		t.Logf("node stop line: %v; robot: %d motions, %d holds", st, sum.Motions, sum.Holds)
	}

	t.Run("local brain kill -9", func(t *testing.T) {
		restarts(t, "local", "local kill -9", 10, (*faultBrain).kill9, time.Second)
	})
	t.Run("ab_brain aiohttp kill -9", func(t *testing.T) {
		restarts(t, "aiohttp", "aiohttp kill -9", 10, (*faultBrain).kill9, time.Second)
	})
	t.Run("ab_brain uvicorn shutdown", func(t *testing.T) {
		restarts(t, "uvicorn", "uvicorn shutdown", 3, (*faultBrain).graceful, 3*time.Second)
	})
	t.Run("local brain SIGINT", func(t *testing.T) {
		restarts(t, "local", "local SIGINT", 3, (*faultBrain).graceful, 3*time.Second)
	})

	// A server-initiated disconnect: the brain keeps the run, the node
	// dials again after the protocol's backoff and joins the same run.
	t.Run("ab_brain aiohttp kick", func(t *testing.T) {
		env := rosEnv(t)
		b := newFaultBrain(t, env, "aiohttp")
		b.start()
		robot := startFaultRobot(t, env, false)
		n := startFaultNode(t, env, b)
		run := n.firstRun(t)
		robot.firstMotionAfter(t, time.Time{}, 30*time.Second)
		time.Sleep(lives[1]) // a stable connection: the backoff starts at 1 s
		const kicks = 3
		var recs []time.Duration
		for i := 1; i <= kicks; i++ {
			kick := b.kick()
			rec := lossEpisode(t, robot, fmt.Sprintf("kick #%d", i), kick, kick, time.Second)
			figs.add("aiohttp kick", rec)
			figs.addHolds("aiohttp kick", 1)
			recs = append(recs, rec)
			time.Sleep(lives[0]) // short lives: the backoff grows
		}
		// 1 s ± 20 % after a stable connection and after the first short
		// one, then 2 s ± 20 %: never at once, never hammering.
		assert.GreaterOrEqual(t, recs[0], 800*time.Millisecond, "backoff honoured after a kick")
		assert.GreaterOrEqual(t, recs[1], 800*time.Millisecond, "backoff honoured after a kick")
		assert.GreaterOrEqual(t, recs[2], 1600*time.Millisecond, "the backoff grows while connections are short-lived")
		st := b.stats()
		assert.Equal(t, []string{run}, st.Runs, "the brain kept the run")
		assert.Equal(t, 1+kicks, st.Joins[run], "the same run joined again after every kick")
		assert.Equal(t, kicks, st.Kicks)
		assert.Zero(t, st.UnknownJoins)
		assert.Zero(t, st.UnknownRunEvents)
		assert.Empty(t, n.replaced(), "no new run: the brain kept its run")
		counters := n.stop(t)
		sum := robot.finish(t)
		assert.Equal(t, kicks, sum.Holds, "one hold per kick")
		assert.Equal(t, kicks, counters["holds"])
		assert.Equal(t, kicks, counters["reconnects"])
		assert.Zero(t, counters["runs_gone"])
		t.Logf("node stop line: %v", counters)
	})

	// A frozen brain keeps its TCP connections open and says nothing: the
	// silence window (lost_after_cycles) finds it lost long before the
	// Engine.IO ping timeout, and once it continues the node resumes the
	// same run.
	freeze := func(t *testing.T, kind, scenario string) {
		env := rosEnv(t)
		b := newFaultBrain(t, env, kind)
		b.start()
		robot := startFaultRobot(t, env, false)
		n := startFaultNode(t, env, b)
		run := n.firstRun(t)
		robot.firstMotionAfter(t, time.Time{}, 30*time.Second)
		time.Sleep(lives[1])
		fault := b.freeze()
		time.Sleep(3 * time.Second)
		back := b.thaw()
		// The silence window is 20 cycles of 50 ms, checked every quarter.
		rec := lossEpisode(t, robot, scenario, fault, back, 2*time.Second)
		figs.add(scenario, rec)
		figs.addHolds(scenario, 1)
		holds, _ := robot.between(fault, back)
		require.Len(t, holds, 1)
		assert.GreaterOrEqual(t, holds[0].At.Sub(fault), 900*time.Millisecond, "held once the brain was silent for the window, not before")
		time.Sleep(lives[0])
		assert.Contains(t, n.p.out.String(), "brain silent; dropping the connection to dial again")
		assert.Empty(t, n.replaced(), "no new run: the brain kept its run")
		if kind != "local" {
			st := b.stats()
			assert.Equal(t, []string{run}, st.Runs)
			assert.GreaterOrEqual(t, st.Joins[run], 2, "the same run joined again")
			assert.Zero(t, st.UnknownJoins)
			assert.Zero(t, st.UnknownRunEvents)
		}
		counters := n.stop(t)
		if kind == "local" {
			checkLocalIncarnation(t, b, run)
		}
		sum := robot.finish(t)
		assert.Equal(t, 1, sum.Holds)
		assert.Equal(t, 1, counters["holds"])
		assert.GreaterOrEqual(t, counters["silences"], 1)
		assert.Zero(t, counters["runs_gone"])
		t.Logf("node stop line: %v", counters)
	}
	t.Run("ab_brain aiohttp SIGSTOP", func(t *testing.T) { freeze(t, "aiohttp", "aiohttp SIGSTOP/SIGCONT") })
	t.Run("local brain SIGSTOP", func(t *testing.T) { freeze(t, "local", "local SIGSTOP/SIGCONT") })

	// joint_states stop while the brain runs on: one hold at the last
	// measured positions once they are older than max_state_age (500 ms),
	// nothing more (no motion, no proprioception chunk, no robot:state)
	// until they resume, then motion again.
	t.Run("stale joint_states", func(t *testing.T) {
		env := rosEnv(t)
		b := newFaultBrain(t, env, "local")
		b.start()
		robot := startFaultRobot(t, env, false)
		n := startFaultNode(t, env, b)
		run := n.firstRun(t)
		robot.firstMotionAfter(t, time.Time{}, 30*time.Second)
		const maxStateAge = 500 * time.Millisecond
		type pause struct{ from, to time.Time }
		var pauses []pause
		for i := 1; i <= 2; i++ {
			time.Sleep(lives[0])
			paused := robot.command(t, "pause", "PAUSED")
			time.Sleep(2 * time.Second)
			resumed := robot.command(t, "resume", "RESUMED")
			pauses = append(pauses, pause{paused, resumed})
			first := robot.firstMotionAfter(t, resumed, 2*time.Second)
			holds, motions := robot.between(paused, first.At.Add(-time.Nanosecond))
			require.Equal(t, 1, len(holds), "pause #%d: exactly one hold", i)
			h := holds[0]
			require.NotNil(t, h.DLast)
			assert.Less(t, *h.DLast, exact, "pause #%d: the hold is at the last published positions (%v)", i, h.First)
			wait := h.At.Sub(paused)
			assert.True(t, wait > maxStateAge-100*time.Millisecond && wait < maxStateAge+400*time.Millisecond,
				"pause #%d: the hold came %s after the last joint_states (max_state_age %s)", i, wait, maxStateAge)
			for _, m := range motions {
				assert.False(t, m.At.After(h.At), "pause #%d: motion after the hold, before joint_states resumed", i)
			}
			rec := first.At.Sub(resumed)
			assert.Less(t, rec, time.Second, "pause #%d: motion soon after joint_states resumed", i)
			figs.add("stale joint_states (resume)", rec)
			figs.addHolds("stale joint_states (resume)", 1)
			t.Logf("pause #%d: hold %s after the pause, motion %s after the resume", i, wait.Round(time.Millisecond), rec.Round(time.Millisecond))
		}
		time.Sleep(lives[0])
		counters := n.stop(t)
		sum := robot.finish(t)
		assert.Equal(t, 2, sum.Holds)
		assert.Equal(t, 2, counters["holds"])
		assert.Positive(t, counters["stale_joint_states"])
		assert.Zero(t, counters["link_losses"])
		assert.Zero(t, counters["runs_gone"])
		checkLocalIncarnation(t, b, run)
		// The brain heard nothing measured during the pauses: no joint
		// chunk and no robot:state once the last sample had aged past
		// max_age (500 ms, + a cycle), and both again after the resume.
		for i, p := range pauses {
			quiet, after := 0, 0
			for _, e := range b.events() {
				proprio := e.Event == "robot:state" || (e.Event == "io:chunk" && strings.HasSuffix(e.InputID, "_pos"))
				switch {
				case !proprio:
				case e.At.After(p.from.Add(maxStateAge+150*time.Millisecond)) && e.At.Before(p.to):
					quiet++
				case e.At.After(p.to) && e.At.Before(p.to.Add(lives[0])):
					after++
				}
			}
			assert.Zero(t, quiet, "pause #%d: joint data sent to the brain from stale joint_states", i+1)
			assert.Positive(t, after, "pause #%d: joint data again after the resume", i+1)
		}
	})

	// joint_states never come: the node runs, the brain cycles, and nothing
	// moves the arm (there is no measured position to start from or hold
	// at); the first joint_states start the flow.
	t.Run("missing joint_states", func(t *testing.T) {
		env := rosEnv(t)
		b := newFaultBrain(t, env, "local")
		b.start()
		robot := startFaultRobot(t, env, true)
		n := startFaultNode(t, env, b)
		run := n.firstRun(t)
		time.Sleep(3 * time.Second)
		assert.Empty(t, robot.received(), "no trajectory without joint_states")
		require.False(t, n.p.exited(), "the node runs on without joint_states")
		assert.Contains(t, n.p.out.String(), "no joint_states for every joint yet")
		assert.GreaterOrEqual(t, ioState(t, b.url())["cycle"], 20.0, "the brain cycled meanwhile")
		for _, e := range b.events() {
			proprio := e.Event == "robot:state" || (e.Event == "io:chunk" && strings.HasSuffix(e.InputID, "_pos"))
			require.False(t, proprio, "joint data sent without joint_states: %+v", e)
		}
		resumed := robot.command(t, "resume", "RESUMED")
		first := robot.firstMotionAfter(t, resumed, 5*time.Second)
		t.Logf("first joint_states → first motion %s", first.At.Sub(resumed).Round(time.Millisecond))
		time.Sleep(lives[0])
		counters := n.stop(t)
		sum := robot.finish(t)
		assert.Zero(t, sum.Holds, "nothing to hold at before joint_states")
		assert.Zero(t, counters["holds"])
		assert.Positive(t, sum.Motions)
		checkLocalIncarnation(t, b, run)
	})
}
