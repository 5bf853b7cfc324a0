package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/localpolicy"
)

// The node with brain.kind roboactions on the real graph: the MuJoCo arm
// (its overhead camera in the observation), the node, and the RoboActions
// stand-in (abctl roboactions, a reach policy) with its fault knobs.

// roboActionsNodeConfig is the example configuration pointed at a stand-in.
func roboActionsNodeConfig(t *testing.T, url string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "bridge_roboactions.yaml"))
	require.NoError(t, err)
	cfg := strings.Replace(string(raw), "base_url: http://127.0.0.1:8090", "base_url: "+url, 1)
	cfg = strings.Replace(cfg, `task_topic: ""`, "task_topic: task", 1)
	require.NotEqual(t, string(raw), cfg)
	path := filepath.Join(t.TempDir(), "bridge_roboactions.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

var armAt = regexp.MustCompile(`shoulder=([+-]\d+\.\d+) elbow=([+-]\d+\.\d+)`)

// armPose is the arm sim's newest printed pose.
func armPose(t *testing.T, sim *proc) (shoulder, elbow float64, ok bool) {
	m := armAt.FindAllStringSubmatch(sim.out.String(), -1)
	if len(m) == 0 {
		return 0, 0, false
	}
	last := m[len(m)-1]
	s, err1 := strconv.ParseFloat(last[1], 64)
	e, err2 := strconv.ParseFloat(last[2], 64)
	return s, e, err1 == nil && err2 == nil
}

// TestRoboActionsNodeDrivesTheArm: the policy is waited for while it
// deploys, its features checked, the arm reaches the policy's target under
// the controller contract; 503s hold the arm and it follows again after;
// a 401 ends the node with a clear error.
func TestRoboActionsNodeDrivesTheArm(t *testing.T) {
	env := rosEnv(t)
	key := "rk_" + randomKey(t)
	sa := exec.Command(goBinary(t, "cmd/abctl"), "roboactions", "--listen", "127.0.0.1:0", "--faults", "--state-dim", "2",
		"--image", "overhead=3x48x64", "--target", "0.6,-0.5", "--rate", "10", "--chunk", "10", "--deploy-time", "4s")
	sa.Env = append(os.Environ(), "ROBOACTIONS_API_KEY="+key)
	nodeBin := goBinary(t, "cmd/ab_bridge_node") // built before the deploy clock runs
	pol := startProc(t, "abctl roboactions", sa)
	pol.waitOutput(t, "roboactions stand-in listening on ", 30*time.Second)
	url := policyStandInReady.FindStringSubmatch(pol.out.String())[1]
	standIn := deviceStandIn{url: url, key: key} // knob posts to any stand-in's /standin/

	node := exec.Command(nodeBin, "--log-format", "text", "--config", roboActionsNodeConfig(t, url))
	node.Env = append(env, "ROBOACTIONS_API_KEY="+key)
	n := startProc(t, "ab_bridge_node", node)
	n.waitOutput(t, `msg="policy deploying: waiting"`, 30*time.Second)
	sim := startProc(t, "arm sim", armSimCommand(t, env, "-p", "print_hz:=5.0"))
	sim.waitOutput(t, armReady, 30*time.Second)
	n.waitOutput(t, `msg="policy ready"`, 30*time.Second)

	reached := func(what string) {
		t.Helper()
		require.Eventually(t, func() bool {
			s, e, ok := armPose(t, sim)
			return ok && abs(s-0.6) < 0.03 && abs(e+0.5) < 0.03
		}, 40*time.Second, 100*time.Millisecond, "the arm reaches the policy's target: %s", what)
		require.False(t, n.exited(), "node still running after: %s", what)
	}
	reached("start")
	count := func(msg string) int { return strings.Count(n.out.String(), `msg="`+msg+`"`) }
	assertPolicyDiagnostics(t, listenDiagnostics(t, env, 5)(), url) // discovery may take a second of it

	// What the policy saw: the task, the camera, the state, from this node.
	st := standInPolicyStats(t, url, key)
	assert.Equal(t, "reach the marked pose", st.Last.Task)
	assert.Greater(t, st.Last.ImageMeans["observation.images.overhead"], 0.05, "the arm's camera reached the policy")
	require.Len(t, st.Last.State, 2)
	assert.InDelta(t, 0.6, st.Last.State[0], 0.05)
	assert.InDelta(t, -0.5, st.Last.State[1], 0.05)
	assert.True(t, strings.HasPrefix(st.Last.UserAgent, "ab_bridge/"), st.Last.UserAgent)
	assert.Zero(t, st.Rejected, "no observation refused")
	assert.Zero(t, st.Malformed)

	// The latest std_msgs/String on task_topic replaces the configured task.
	task := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "task_publisher.py"), "/task", "stack the cubes")
	task.Env = env
	startProc(t, "task publisher", task).waitOutput(t, "READY", 30*time.Second)
	n.waitOutput(t, `msg="task changed" topic=task task="stack the cubes"`, 30*time.Second)
	require.Eventually(t, func() bool { return standInPolicyStats(t, url, key).Last.Task == "stack the cubes" },
		20*time.Second, 50*time.Millisecond, "the policy hears the new task")

	answers := callTriggers(t, env, "/ab_bridge/reset")
	require.Len(t, answers, 1)
	require.True(t, answers[0].Success, answers[0].Message)
	assert.Equal(t, st.Resets+1, standInPolicyStats(t, url, key).Resets, "~/reset resets the policy")

	heard := listenDiagnostics(t, env, 8)
	knob(t, standIn, "fail", `{"status": 503, "count": 12, "path": "/v1/policy/predict_action_chunk"}`)
	require.Eventually(t, func() bool { return count("policy server failing: holding the arm until it answers") == 1 },
		30*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool { return count("policy server answering again") == 1 }, 60*time.Second, 50*time.Millisecond)
	published := func() int { return strings.Count(n.out.String(), "msg=cycle ") }
	before := published()
	require.Eventually(t, func() bool { return published() >= before+2 }, 30*time.Second, 50*time.Millisecond,
		"trajectories again after 12 answers of 503 (three requests, each retried three times)")
	reached("the outage")
	assertPolicyHoldDiagnosed(t, heard())

	// 429s with Retry-After are waited out by the client, within its
	// retries: no hold, and the stand-in saw both refusals answered.
	injected := standInPolicyStats(t, url, key).Injected
	knob(t, standIn, "fail", `{"status": 429, "count": 2, "retry_after": 1, "path": "/v1/policy/predict_action_chunk"}`)
	require.Eventually(t, func() bool { return standInPolicyStats(t, url, key).Injected >= injected+2 }, 20*time.Second, 50*time.Millisecond)
	before = published()
	require.Eventually(t, func() bool { return published() >= before+2 }, 30*time.Second, 50*time.Millisecond, "trajectories after the 429s")
	assert.Equal(t, 1, count("policy server failing: holding the arm until it answers"), "429s with Retry-After hold nothing")

	// Slow answers: what fell due while the policy thought is dropped.
	asked := standInPolicyStats(t, url, key).Requests["predict_action_chunk"]
	knob(t, standIn, "delay", `{"seconds": 0.6, "count": 3, "path": "/v1/policy/predict_action_chunk"}`)
	require.Eventually(t, func() bool { return standInPolicyStats(t, url, key).Requests["predict_action_chunk"] >= asked+4 },
		20*time.Second, 50*time.Millisecond, "three slow answers and one more")
	before = published()
	require.Eventually(t, func() bool { return published() >= before+3 }, 30*time.Second, 50*time.Millisecond, "trajectories after slow answers")
	reached("slow answers")

	knob(t, standIn, "fail", `{"status": 401, "count": 1, "path": "/v1/policy/predict_action_chunk"}`)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the node did not end on a 401")
	}
	out := n.out.String()
	require.Error(t, n.err, "a refused key ends the node with a failure")
	assert.Contains(t, out, "the policy refused the node")
	assert.Contains(t, out, "401")
	assert.NotContains(t, out, key, "the key is never logged")
	for _, msg := range []string{"bridge stopped", "roboactions policy stopped"} {
		i := strings.LastIndex(out, `msg="`+msg+`"`)
		require.GreaterOrEqual(t, i, 0, "no %q line", msg)
		line, _, _ := strings.Cut(out[i:], "\n")
		t.Log(line)
	}
	assert.Positive(t, logValue(t, out, "roboactions policy stopped", "chunks"))
	assert.GreaterOrEqual(t, logValue(t, out, "roboactions policy stopped", "failures"), 1)
	assert.Equal(t, 1, logValue(t, out, "roboactions policy stopped", "holds"))
	assert.Zero(t, logValue(t, out, "roboactions policy stopped", "malformed_answers"))
	assert.GreaterOrEqual(t, logValue(t, out, "roboactions policy stopped", "stale_actions"), 6, "actions due during 0.6 s answers dropped")
	// The start-up summary (text log: the multi-line message is quoted).
	i := strings.Index(out, `msg="start-up summary`)
	require.GreaterOrEqual(t, i, 0, "the start-up summary is logged")
	quoted, err := strconv.QuotedPrefix(out[i+len("msg="):])
	require.NoError(t, err)
	table, err := strconv.Unquote(quoted)
	require.NoError(t, err)
	for _, re := range []string{`(?m)^brain +roboactions http://127\.0\.0\.1:\d+ policy local-reach$`,
		`(?m)^ACTION_0 +joint:0 +shoulder`, `(?m)^ACTION_1 +joint:1 +elbow`, `(?m)^OVERHEAD_CAM +Image +camera/image_raw`} {
		assert.Regexp(t, regexp.MustCompile(re), table)
	}
	traj := logValue(t, out, "bridge stopped", "trajectories")
	requireSimAcceptedAll(t, sim, traj/2)
}

// assertPolicyDiagnostics: the five statuses of every backend and the
// policy's own, the link OK while the policy answers.
func assertPolicyDiagnostics(t *testing.T, arrays []diagArray, url string) {
	t.Helper()
	require.GreaterOrEqual(t, len(arrays), 2, "arrays on /diagnostics")
	last := arrays[len(arrays)-1]
	var names []string
	for _, st := range last.Status {
		names = append(names, st.Name)
	}
	assert.Equal(t, []string{"ab_bridge: brain link", "ab_bridge: cycles", "ab_bridge: inputs", "ab_bridge: commands",
		"ab_bridge: learning", "ab_bridge: roboactions policy"}, names)
	link, ok := last.status("ab_bridge: brain link")
	require.True(t, ok)
	assert.Equal(t, 0, link.Level, "link OK while the policy answers: %s", link.Message)
	assert.Equal(t, "answering", link.Values["state"])
	assert.Equal(t, url, link.HardwareID)
	pol, ok := last.status("ab_bridge: roboactions policy")
	require.True(t, ok)
	assert.NotEqual(t, "0", pol.Values["chunks"])
	assert.Less(t, pol.Level, 2, pol.Message)
}

// assertPolicyHoldDiagnosed: while the server failed, the link said so
// and the policy status was an ERROR saying the arm is held.
func assertPolicyHoldDiagnosed(t *testing.T, arrays []diagArray) {
	t.Helper()
	var linkWarned, held bool
	for _, a := range arrays {
		if l, ok := a.status("ab_bridge: brain link"); ok && l.Level >= 1 && strings.Contains(l.Message, "the policy server is failing") {
			linkWarned = true
		}
		if p, ok := a.status("ab_bridge: roboactions policy"); ok && p.Level == 2 && strings.Contains(p.Message, "the arm is held") {
			held = true
		}
	}
	assert.True(t, linkWarned, "the link reported the failing server")
	assert.True(t, held, "the policy status was an ERROR while the arm was held")
}

// standInPolicyStats reads the stand-in's counters and its last observation.
func standInPolicyStats(t *testing.T, url, key string) localpolicy.Stats {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/standin/stats", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st localpolicy.Stats
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestRoboActionsNodeDrivesTheGripper: an action dimension mapped to the
// gripper joint (and the gripper in observation.state): the policy's
// absolute gripper targets reach the MuJoCo gripper through the node's
// gripper output (a forward position controller's commands), the arm's
// dimensions through the trajectory; neither output refused.
func TestRoboActionsNodeDrivesTheGripper(t *testing.T) {
	env := rosEnv(t)
	key := "rk_" + randomKey(t)
	sa := exec.Command(goBinary(t, "cmd/abctl"), "roboactions", "--listen", "127.0.0.1:0", "--faults", "--state-dim", "3",
		"--image", "overhead=3x48x64", "--target", "0.3,-0.2,0.01", "--rate", "10", "--chunk", "10")
	sa.Env = append(os.Environ(), "ROBOACTIONS_API_KEY="+key)
	pol := startProc(t, "abctl roboactions", sa)
	pol.waitOutput(t, "roboactions stand-in listening on ", 30*time.Second)
	url := policyStandInReady.FindStringSubmatch(pol.out.String())[1]

	path := roboActionsNodeConfig(t, url)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	cfg := strings.Replace(string(raw), "state_joints: [shoulder, elbow]", "state_joints: [shoulder, elbow, gripper]", 1)
	cfg = strings.Replace(cfg, "dims: [shoulder, elbow]", "dims: [shoulder, elbow, gripper]", 1)
	cfg += "\ngripper:\n  joint: gripper\n  min: 0.0\n  max: 0.04\n"
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))

	sim := startProc(t, "arm sim", armSimCommand(t, env, "-p", "print_hz:=5.0"))
	sim.waitOutput(t, armReady, 30*time.Second)
	node := exec.Command(goBinary(t, "cmd/ab_bridge_node"), "--log-format", "text", "--config", path)
	node.Env = append(env, "ROBOACTIONS_API_KEY="+key)
	n := startProc(t, "ab_bridge_node", node)
	n.waitOutput(t, `msg="policy ready"`, 30*time.Second)

	require.Eventually(t, func() bool {
		s, e, ok := armPose(t, sim)
		g, gok := lastSimGripper(sim)
		return ok && gok && abs(s-0.3) < 0.03 && abs(e+0.2) < 0.03 && abs(g-0.01) < 0.002
	}, 40*time.Second, 100*time.Millisecond, "the arm and the gripper reach the policy's target")
	st := standInPolicyStats(t, url, key)
	require.Len(t, st.Last.State, 3, "the gripper is in observation.state")
	assert.InDelta(t, 0.01, st.Last.State[2], 0.003)

	n.stop(10 * time.Second)
	require.NoError(t, n.err)
	traj := logValue(t, n.out.String(), "bridge stopped", "trajectories")
	requireSimAcceptedAll(t, sim, traj/2)
	out := sim.out.String()
	i := strings.LastIndex(out, "arm sim gripper commands ")
	require.GreaterOrEqual(t, i, 0, "the sim printed its gripper counts")
	line, _, _ := strings.Cut(out[i+len("arm sim gripper commands "):], "\n")
	var counts struct{ Accepted, Refused int }
	require.NoError(t, json.Unmarshal([]byte(line), &counts))
	assert.Zero(t, counts.Refused, "gripper commands the forward controller would refuse")
	assert.Positive(t, counts.Accepted)
}
