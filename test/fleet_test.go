package integration

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A fleet: two robots in two namespaces, each driven by its own node (same
// node name, its own namespace and params file), against one local brain.
// Each node must keep its own run: the brain must not stop one robot's run
// when the other starts one, nor put a node's socket into the other's run
// when it connects (the local brain puts a socket that connects without
// run:join back into a running run of its key, for the reference SDK); each
// robot must get only its own node's trajectories, and each run only its
// robot's joint positions. Killing one node must leave the other's flow
// alone, and the killed one restarted gets a new run.

// fleetRobot is one robot of the fleet and what it is known by.
type fleetRobot struct {
	ns    string     // its namespace, e.g. /robot1
	start [2]float64 // shoulder, elbow where it starts
	robot *faultRobot
	node  *faultNode
	runs  []string // its node's runs, in order
}

// startFleetRobot starts fault_robot.py in ns at start (it does not wait
// for it: the two robots start together).
func startFleetRobot(t *testing.T, env []string, ns string, start [2]float64) *faultRobot {
	t.Helper()
	cmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "fault_robot.py"),
		fmt.Sprintf("--initial=%g,%g", start[0], start[1]), "--ros-args", "-r", "__ns:="+ns)
	cmd.Env = env
	r := &faultRobot{marks: map[string]time.Time{}}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	r.stdin = stdin
	r.p = startProcTee(t, "fault-robot "+ns, cmd, &lineTap{onLine: r.line})
	return r
}

// startFleetNode starts a node in ns against brainURL, as launch would
// start one robot's node: its own namespace, the same node name, its own
// params file, topics relative to the namespace.
func startFleetNode(t *testing.T, env []string, ns, params string) *faultNode {
	t.Helper()
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), "--log-format", "text", "--ros-args", "--log-level", "info",
		"-r", "__node:=ab_bridge", "-r", "__ns:="+ns, "--params-file", params)
	cmd.Env = env
	return &faultNode{p: startProc(t, "ab_bridge_node "+ns, cmd)}
}

// fleetChunk is one proprioception io:chunk in the brain's record.
type fleetChunk struct {
	At     time.Time
	Run    string // the run the brain filed it under
	Named  string // the run its payload names
	Socket string
	Input  string
	Raw    float64 // the raw tick: the joint position the node measured
}

func fleetChunks(t *testing.T, record string) []fleetChunk {
	t.Helper()
	f, err := os.Open(record)
	require.NoError(t, err)
	defer f.Close()
	var out []fleetChunk
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var line struct {
			Time    time.Time `json:"time"`
			Event   string    `json:"event"`
			Run     string    `json:"run"`
			Socket  string    `json:"socket"`
			Payload struct {
				RunID   string `json:"runId"`
				InputID string `json:"inputId"`
				Format  string `json:"format"`
				Data    string `json:"data"`
			} `json:"payload"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		if line.Event != "io:chunk" || line.Payload.Format != "rawtick_f32x3" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(line.Payload.Data)
		require.NoError(t, err)
		require.Len(t, data, 12, "rawtick_f32x3")
		raw := math.Float32frombits(binary.LittleEndian.Uint32(data))
		out = append(out, fleetChunk{At: line.Time, Run: line.Run, Named: line.Payload.RunID, Socket: line.Socket,
			Input: line.Payload.InputID, Raw: float64(raw)})
	}
	require.NoError(t, sc.Err())
	return out
}

var socketJoined = regexp.MustCompile(`msg="socket joined run" socket=(\S+) run=(\S+) auto=(true|false)`)

func TestFleet(t *testing.T) {
	t.Run("no key", func(t *testing.T) { fleet(t, "") })
	t.Run("one API key", func(t *testing.T) { fleet(t, randomKey(t)) })
}

func fleet(t *testing.T, key string) {
	began := time.Now()
	env := rosEnv(t)
	if key != "" {
		// The brain and both nodes read it from the environment.
		env = append(env, "AB_API_KEY="+key)
	}
	record := filepath.Join(t.TempDir(), "brain.jsonl")
	brain, url := startLocalBrain(t, env, "--record", record)

	// Far apart and on either side of the demo brain's target posture
	// (0.6, -0.4), which it drives both toward within a few seconds: the
	// position checks below tell the robots apart until they get there
	// (each run's first chunks, no jump), the run and socket checks always.
	robots := []*fleetRobot{
		{ns: "/robot1", start: [2]float64{-0.9, 1.2}},
		{ns: "/robot2", start: [2]float64{2.0, -2.0}},
	}
	params := map[string]string{}
	for _, r := range robots {
		r.robot = startFleetRobot(t, env, r.ns, r.start)
		params[r.ns] = writeNodeConfig(t, r.ns+"/ab_bridge", append(brainURLSetting(url),
			// Without idle cycles every single-point trajectory is a hold.
			"\n  publish_idle: true\n", "\n  publish_idle: false\n")...)
	}
	for _, r := range robots {
		r.robot.p.waitOutput(t, "READY", 30*time.Second)
	}
	// Both nodes at once: each one's start, connect and join race the
	// other's.
	for _, r := range robots {
		r.node = startFleetNode(t, env, r.ns, params[r.ns])
	}
	for _, r := range robots {
		r.node.p.waitOutput(t, "realtime joined", 30*time.Second)
		r.runs = append(r.runs, r.node.firstRun(t))
	}
	r1, r2 := robots[0], robots[1]
	require.NotEqual(t, r1.runs[0], r2.runs[0], "each node started its own run")
	for _, r := range robots {
		r.robot.firstMotionAfter(t, time.Time{}, 15*time.Second)
	}
	time.Sleep(3 * time.Second)

	// SIGKILL one node: no stop of its run, no goodbye.
	kill := time.Now()
	require.NoError(t, syscall.Kill(-r1.node.p.cmd.Process.Pid, syscall.SIGKILL))
	select {
	case <-r1.node.p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("node /robot1 still running 5 s after SIGKILL")
	}
	time.Sleep(3 * time.Second)
	afterKill := time.Now()
	_, m1 := r1.robot.between(kill.Add(200*time.Millisecond), afterKill)
	holds2, m2 := r2.robot.between(kill, afterKill)
	assert.Empty(t, m1, "no trajectory at /robot1 once its node is dead")
	assert.Empty(t, holds2, "/robot2 was never held")
	// 3 s of 50 ms cycles: 60 trajectories, a third of them is plenty.
	assert.GreaterOrEqual(t, len(m2), 20, "/robot2's trajectories keep coming while /robot1's node is dead")

	// The killed node comes back: a new run of its own.
	restart := time.Now()
	r1.node = startFleetNode(t, env, r1.ns, params[r1.ns])
	r1.node.p.waitOutput(t, "realtime joined", 30*time.Second)
	r1.runs = append(r1.runs, r1.node.firstRun(t))
	require.NotContains(t, []string{r1.runs[0], r2.runs[0]}, r1.runs[1], "the restarted node started a new run")
	first := r1.robot.firstMotionAfter(t, restart, 15*time.Second)
	t.Logf("restart → first trajectory at /robot1: %s", first.At.Sub(restart).Round(time.Millisecond))
	time.Sleep(3 * time.Second)
	end := time.Now()
	holds2, m2 = r2.robot.between(restart, end)
	assert.Empty(t, holds2, "/robot2 was never held")
	assert.GreaterOrEqual(t, len(m2), 20, "/robot2's trajectories kept coming across /robot1's restart")
	assert.Equal(t, 1, strings.Count(r2.node.p.out.String(), "realtime joined"), "/robot2's node never reconnected")
	assert.Equal(t, 1, strings.Count(r2.node.p.out.String(), `msg="run started"`), "/robot2's node kept its run")

	// The nodes stop their runs; /robot2's must still have been running.
	blog := brain.out.String()
	assert.NotContains(t, blog, `msg="run stopped" run=`+r2.runs[0], "/robot2's run ran until its node stopped it")
	counters := map[string]map[string]int{}
	for _, r := range robots {
		counters[r.ns] = r.node.stop(t)
	}
	assert.Contains(t, brain.out.String(), `msg="run stopped" run=`+r2.runs[0])
	assert.Contains(t, brain.out.String(), `msg="run stopped" run=`+r1.runs[1])
	for _, r := range robots {
		c := counters[r.ns]
		assert.Zero(t, c["reconnects"], "%s: reconnects", r.ns)
		assert.Zero(t, c["runs_gone"], "%s: runs gone", r.ns)
		assert.Zero(t, c["holds"], "%s: holds", r.ns)
		assert.NotContains(t, r.node.p.out.String(), "realtime event for another run", "%s: its socket was only ever in its own run", r.ns)
	}

	// Each robot: no controller refusal, and every trajectory starts next to
	// a position it had just published itself (one cycle's step from it; at
	// the start the other robot is over 2 rad away).
	for _, r := range robots {
		sum := r.robot.finish(t)
		motions := 0
		for _, x := range r.robot.received() {
			if !x.motion() {
				continue
			}
			motions++
			require.NotNil(t, x.DRecent, "%s: a trajectory before any joint_states", r.ns)
			assert.Less(t, *x.DRecent, 0.05, "%s: trajectory starting at %v, not at a position of its own", r.ns, x.First)
		}
		assert.Equal(t, sum.Motions, motions)
		t.Logf("%s: %d trajectories, %d holds, node: %v", r.ns, sum.Motions, sum.Holds, counters[r.ns])
	}

	// The brain: which socket the local brain put into which run, and
	// whether it ever auto-resumed a node's socket into a run not its own
	// (its run:join then moves it; a run:join into the run the socket is
	// already in is not logged again).
	explicit, auto := map[string]string{}, map[string]string{}
	autos := 0
	for _, m := range socketJoined.FindAllStringSubmatch(brain.out.String(), -1) {
		if m[3] == "false" {
			explicit[m[1]] = m[2]
		} else {
			auto[m[1]] = m[2]
			autos++
		}
	}
	swaps := 0
	joined := map[string]string{} // socket → the run it ended in
	for sock, run := range auto {
		joined[sock] = run
		if own, ok := explicit[sock]; ok && own != run {
			swaps++
			t.Errorf("socket %s was auto-resumed into run %s before it joined its own run %s", sock, run, own)
		}
	}
	for sock, run := range explicit {
		joined[sock] = run
	}
	owner := map[string]*fleetRobot{r1.runs[0]: r1, r1.runs[1]: r1, r2.runs[0]: r2}
	joinedRuns := map[string]bool{}
	for _, run := range joined {
		joinedRuns[run] = true
	}
	for run := range owner {
		assert.True(t, joinedRuns[run], "run %s was joined by its node", run)
	}

	// Each run's chunks: filed under the run they name, sent by a socket
	// that joined that run, first at its robot's start (a restarted node's
	// run at where its robot was held) and then moving smoothly: one chunk
	// of the other robot would be a jump of more than a radian.
	chunks := fleetChunks(t, record)
	last := map[string]float64{} // run/input → latest raw tick
	perRun := map[string]int{}
	for _, c := range chunks {
		r, ok := owner[c.Named]
		require.True(t, ok, "a chunk naming run %q, no node's", c.Named)
		assert.Equal(t, c.Named, c.Run, "chunk filed under the run it names")
		assert.Equal(t, c.Named, joined[c.Socket], "chunk of run %s from socket %s, which is in %s", c.Named, c.Socket, joined[c.Socket])
		perRun[c.Named]++
		k := c.Named + "/" + c.Input
		prev, seen := last[k]
		switch {
		case !seen && c.Named == r.runs[0]:
			j := map[string]int{"shoulder_pos": 0, "elbow_pos": 1}[c.Input]
			assert.InDelta(t, r.start[j], c.Raw, 1e-6, "run %s's first %s is %s's start", c.Named, c.Input, r.ns)
		case seen:
			assert.Less(t, math.Abs(c.Raw-prev), 0.2, "run %s %s jumps from %g to %g", c.Named, c.Input, prev, c.Raw)
		}
		last[k] = c.Raw
	}
	for run, r := range owner {
		assert.Positive(t, perRun[run], "chunks of %s's run %s", r.ns, run)
	}
	runsOf := map[string]string{}
	for run, r := range owner {
		runsOf[run] = r.ns
	}
	t.Logf("runs %v; chunks per run %v; auto-resumes %d, into another node's run %d; %s",
		runsOf, perRun, autos, swaps, time.Since(began).Round(100*time.Millisecond))
}
