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

// The demo policies' target (config/policies): the reward's joint_target
// and the deviation's joint_error on the shoulder.
var policyTarget = map[string]float64{"shoulder": 0.6, "elbow": -0.4}

// copyPolicies copies the shipped demo policies folder (policies and the
// contract files synced from the local brain) into a fresh folder.
func copyPolicies(t *testing.T) string {
	t.Helper()
	src := filepath.Join(repoRoot(t), "config", "policies")
	dst := filepath.Join(t.TempDir(), "policies")
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600))
	}
	return dst
}

// writeLearningConfig is the shipped configuration with another brain URL
// and an absolute policies folder, for the node at the root.
func writeLearningConfig(t *testing.T, brainURL, policies string) (paramsFile string) {
	t.Helper()
	return writeNodeConfig(t, "/ab_bridge", append(brainURLSetting(brainURL),
		"\n  dir: policies\n", fmt.Sprintf("\n  dir: %s\n", policies))...)
}

// learnArgv runs the node at the root with its commands sent to a topic
// nobody follows: the arm obeys the script, not the brain.
func learnArgv(paramsFile string) []string {
	return []string{"--log-format", "text", "--ros-args", "--params-file", paramsFile, "-r", "joint_trajectory:=/unused"}
}

type scriptResult struct {
	Error   string                        `json:"error"`
	Phases  map[string][2]float64         `json:"phases"`
	Reached map[string]map[string]float64 `json:"reached"`
}

func runLearnScript(t *testing.T, env []string) scriptResult {
	t.Helper()
	target := fmt.Sprintf("%g,%g", policyTarget["shoulder"], policyTarget["elbow"])
	start := fmt.Sprintf("%g,%g", simStart["shoulder"], simStart["elbow"])
	cmd := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "learn_script.py"),
		"--start="+start, "--target="+target, "--far=2", "--approach=4", "--at-target=2", "--leave=2")
	cmd.Env = env
	p := startProc(t, "learn-script", cmd)
	var r scriptResult
	peerResult(t, p, 90*time.Second, &r)
	require.Empty(t, r.Error)
	require.NoError(t, p.err)
	return r
}

// recorded is one line of `abctl local-brain --record`.
type recorded struct {
	Time    time.Time       `json:"time"`
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

type rewardPayload struct {
	Cycle        int64              `json:"cycle"`
	GlobalReward float64            `json:"globalReward"`
	ByLayer      map[string]float64 `json:"byLayer"`
}

type chunkPayload struct {
	InputID string         `json:"inputId"`
	Format  string         `json:"format"`
	Meta    map[string]any `json:"meta"`
	Data    string         `json:"data"` // base64
}

type timed[T any] struct {
	at time.Time
	v  T
}

// readRecord reads the rewards and the deviations of one feedback input
// the local brain received, each with its arrival time.
func readRecord(t *testing.T, path, feedbackID string) (rewards []timed[rewardPayload], devs []timed[[]float32]) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var line recorded
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		switch line.Event {
		case "learn:reward":
			var r rewardPayload
			require.NoError(t, json.Unmarshal(line.Payload, &r))
			rewards = append(rewards, timed[rewardPayload]{line.Time, r})
		case "io:chunk":
			var c chunkPayload
			require.NoError(t, json.Unmarshal(line.Payload, &c))
			if c.InputID != feedbackID {
				continue
			}
			require.Equal(t, "deviation_f32", c.Format)
			raw, err := base64.StdEncoding.DecodeString(c.Data)
			require.NoError(t, err)
			require.Len(t, raw, 4*64, "T = gamma = 64 values")
			vals := make([]float32, 64)
			for i := range vals {
				vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
			devs = append(devs, timed[[]float32]{line.Time, vals})
		}
	}
	require.NoError(t, sc.Err())
	return rewards, devs
}

// window selects what arrived between two Unix times, leaving out lead
// seconds after the start (the arm and the cycle lag the script).
func window[T any](xs []timed[T], span [2]float64, lead float64) []T {
	from := unixSeconds(span[0] + lead)
	to := unixSeconds(span[1])
	var out []T
	for _, x := range xs {
		if !x.at.Before(from) && x.at.Before(to) {
			out = append(out, x.v)
		}
	}
	return out
}

func unixSeconds(s float64) time.Time {
	return time.Unix(0, int64(s*1e9))
}

func globals(rs []rewardPayload) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.GlobalReward
	}
	return out
}

// share is the fraction of values within 1e-6 of want.
func share(vals []float64, want float64) float64 {
	if len(vals) == 0 {
		return 0
	}
	n := 0
	for _, v := range vals {
		if math.Abs(v-want) < 1e-6 {
			n++
		}
	}
	return float64(n) / float64(len(vals))
}

func mean(vals []float64) float64 {
	s := 0.0
	for _, v := range vals {
		s += v
	}
	return s / float64(len(vals))
}

func meanAbs(devs [][]float32) float64 {
	s := 0.0
	for _, d := range devs {
		s += math.Abs(float64(d[0]))
	}
	return s / float64(len(devs))
}

// End to end on a real ROS 2 graph: the local brain records what the node
// sends while a scripted arm (the node's own commands go to a dead topic)
// holds far from the demo policies' target, approaches it, holds there and
// leaves. The rewards follow the joint_target component (otherwise →
// improved → success → otherwise) and the shoulder's deviation shrinks to
// zero as it reaches 0.6 rad.
func TestLearningSignalsFollowTheArm(t *testing.T) {
	env := rosEnv(t)
	record := filepath.Join(t.TempDir(), "brain.jsonl")
	_, brainURL := startLocalBrain(t, env, "--record", record)
	sim := startSim(t, env)

	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), learnArgv(writeLearningConfig(t, brainURL, copyPolicies(t)))...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)
	// The script's phases are timed: start it only once the node hears the
	// sim (DDS discovery can take seconds on a busy machine). The first
	// published cycle is logged at once.
	n.waitOutput(t, "msg=cycle ", 30*time.Second)
	assert.Contains(t, n.out.String(), "policies synced for this contract", "the shipped folder was synced from the local brain")
	assert.NotContains(t, n.out.String(), "level=WARN msg=\"policies")

	script := runLearnScript(t, env)
	for j, want := range policyTarget {
		assert.InDelta(t, want, script.Reached["at_target"][j], 0.02, "the arm followed the script to the target (%s)", j)
	}
	require.NoError(t, syscall.Kill(n.cmd.Process.Pid, syscall.SIGINT))
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		t.Fatal("node still running 5 s after SIGINT")
	}
	require.NoError(t, n.err, "node exit status")
	assert.Regexp(t, `msg="policies at stop" rewards=[1-9]\d* failed_rewards=0 `, n.out.String())
	requireSimAcceptedAll(t, sim, 3) // the script's start, approach and leave

	rewards, devs := readRecord(t, record, "shoulder_fb")
	require.NotEmpty(t, rewards)
	require.NotEmpty(t, devs)

	// One reward per cycle, only the contract's layer, which has no
	// override and so gets the global reward; every deviation constant
	// over its T timesteps (shape: constant).
	seen := map[int64]bool{}
	for _, r := range rewards {
		assert.False(t, seen[r.v.Cycle], "cycle %d rewarded twice", r.v.Cycle)
		seen[r.v.Cycle] = true
		assert.Equal(t, map[string]float64{"motor": r.v.GlobalReward}, r.v.ByLayer)
	}
	for _, d := range devs {
		for _, v := range d.v {
			require.Equal(t, d.v[0], v)
		}
	}

	ph := script.Phases
	far := globals(window(rewards, ph["far"], 0.3))
	approach := globals(window(rewards, ph["approach"], 0.3))
	atTarget := globals(window(rewards, ph["at_target"], 0.5))
	leave := globals(window(rewards, ph["leave"], 0.5))
	for name, w := range map[string][]float64{"far": far, "approach": approach, "at_target": atTarget, "leave": leave} {
		require.GreaterOrEqual(t, len(w), 10, "rewards in phase %s", name)
	}
	t.Logf("mean reward: far %.3f approach %.3f at_target %.3f leave %.3f (%d rewards)", mean(far), mean(approach), mean(atTarget), mean(leave), len(rewards))
	assert.GreaterOrEqual(t, share(far, 0.4), 0.9, "held far: otherwise, %v", far)
	assert.GreaterOrEqual(t, share(approach, 0.6), 0.8, "approaching: improved, %v", approach)
	assert.GreaterOrEqual(t, share(atTarget, 1.0), 0.9, "at the target: success, %v", atTarget)
	assert.GreaterOrEqual(t, share(leave, 0.4), 0.8, "leaving: otherwise, %v", leave)
	assert.Less(t, mean(far), mean(approach))
	assert.Less(t, mean(approach), mean(atTarget))
	assert.Less(t, mean(leave), mean(approach))

	// The shoulder's deviation (shoulder − 0.6)/1.0: −0.9 held far, then
	// shrinking over the approach (four bins, each smaller than the last),
	// near 0 at the target.
	farDev := window(devs, ph["far"], 0.3)
	require.NotEmpty(t, farDev)
	assert.InDelta(t, 0.6-simStart["shoulder"], meanAbs(farDev), 0.02)
	a0, a1 := ph["approach"][0], ph["approach"][1]
	step := (a1 - a0) / 4
	prev := meanAbs(farDev)
	var bins []float64
	for k := range 4 {
		bin := window(devs, [2]float64{a0 + float64(k)*step, a0 + float64(k+1)*step}, 0)
		require.NotEmpty(t, bin, "deviations in approach bin %d", k)
		m := meanAbs(bin)
		bins = append(bins, m)
		assert.Less(t, m, prev, "approach bin %d: |deviation| shrinks (%v)", k, bins)
		prev = m
	}
	target := window(devs, ph["at_target"], 0.5)
	require.NotEmpty(t, target)
	assert.Less(t, meanAbs(target), 0.02, "at the target the deviation is ~0")
	t.Logf("mean |deviation|: far %.3f approach bins %.3f at_target %.3f", meanAbs(farDev), bins, meanAbs(target))
}

// startNodeLocal runs the node against its embedded local brain with the
// given policies folder.
func startNodeLocal(t *testing.T, env []string, policies string) *proc {
	t.Helper()
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), learnArgv(writeLearningConfig(t, "local", policies))...)
	cmd.Env = env
	return startProc(t, "ab_bridge_node", cmd)
}

var digestLine = regexp.MustCompile(`[0-9a-f]{64}`)

// A folder synced for another contract, or never synced, is a warning, not
// an error: the node runs with its policies.
func TestNodeWarnsWhenPoliciesWereNotSyncedForTheBrainsContract(t *testing.T) {
	env := rosEnv(t)
	tests := []struct {
		name   string
		digest *string // nil removes the file
		want   string
	}{
		{"another contract", ptr(strings.Repeat("ab", 32) + "\n"),
			`msg="policies were synced for another contract than the brain's: the graph changed; run abctl sync-policies and review the policies"`},
		{"never synced", nil, `msg="policies folder has no _contract.sha256: it was not synced with this brain's contract; run abctl sync-policies"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyPolicies(t)
			path := filepath.Join(dir, "_contract.sha256")
			if tc.digest == nil {
				require.NoError(t, os.Remove(path))
			} else {
				require.NoError(t, os.WriteFile(path, []byte(*tc.digest), 0o600))
			}
			n := startNodeLocal(t, env, dir)
			n.waitOutput(t, "realtime joined", 30*time.Second)
			out := n.out.String()
			i := strings.Index(out, tc.want)
			require.GreaterOrEqual(t, i, 0, "warning line:\n%s", out)
			line := out[i:]
			line = line[:strings.IndexByte(line, '\n')]
			assert.Contains(t, line, "contract_sha256=", "the warning names the brain's digest")
			if tc.digest != nil {
				assert.Contains(t, line, "synced_sha256="+strings.TrimSpace(*tc.digest))
				assert.Len(t, digestLine.FindAllString(line, -1), 2)
			}
			assert.Contains(t, out, `msg="policies loaded"`, "still runs with the policies")
			n.stop(5 * time.Second)
			assert.NoError(t, n.err, "exit status after SIGINT")
		})
	}
}

// A policy naming a layer or a feedback id the brain does not have stops
// the node before it starts a run, naming file:line.
func TestNodeRefusesPoliciesTheContractLacks(t *testing.T) {
	env := rosEnv(t)
	dir := copyPolicies(t)
	reward := filepath.Join(dir, "reward_policy.yaml")
	require.NoError(t, os.WriteFile(reward, []byte("global:\n  components:\n    - constant: {value: 0.5}\nlayers:\n  cortex:\n    components: [{constant: {value: 1}}]\n"), 0o600))
	deviation := filepath.Join(dir, "deviation_policy.yaml")
	require.NoError(t, os.WriteFile(deviation, []byte("feedback:\n  shoulder_fb: {zero: {}}\n  wrist_fb:\n    zero: {}\n"), 0o600))

	n := startNodeLocal(t, env, dir)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatal("node still running 30 s after start with invalid policies")
	}
	var exit *exec.ExitError
	require.ErrorAs(t, n.err, &exit)
	assert.Equal(t, 1, exit.ExitCode())
	out := n.out.String()
	assert.Contains(t, out, reward+`:5: layer \"cortex\" is not an STDP3 layer of the contract (it has motor)`)
	assert.Contains(t, out, deviation+`:3: feedback id \"wrist_fb\" is not a feedback input of the contract (it has shoulder_fb)`)
	assert.NotContains(t, out, `msg="run started" run=`, "no run was started for a node that cannot learn")
}

func ptr[T any](v T) *T { return &v }

// Policies that read topics: the node subscribes each with the type the
// policy names (Float64, Float32, Float64MultiArray, a JointState target)
// and the values reach the brain through the reward and the deviation.
func TestPolicyTopicsReachTheBrain(t *testing.T) {
	env := rosEnv(t)
	record := filepath.Join(t.TempDir(), "brain.jsonl")
	_, brainURL := startLocalBrain(t, env, "--record", record)
	dir := copyPolicies(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reward_policy.yaml"), []byte(`
global:
  combine: mean
  components:
    - topic: {topic: task/score, timeout: 1s, fallback: 0.5}
    - topic: {topic: task/score32, type: std_msgs/Float32, timeout: 1s, fallback: 0.5}
layers:
  motor:
    components:
      - joint_target: {target_topic: goal, joints: [shoulder], timeout: 1s, success_distance: 0.01}
`), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "deviation_policy.yaml"), []byte(`
feedback:
  shoulder_fb:
    topic: {topic: task/error, timeout: 1s, fit: hold}
`), 0o600))

	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), learnArgv(writeLearningConfig(t, brainURL, dir))...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)
	for _, sub := range []string{"goal (sensor_msgs/JointState → policies)", "task/error (std_msgs/Float64MultiArray → policies)",
		"task/score (std_msgs/Float64 → policies)", "task/score32 (std_msgs/Float32 → policies)"} {
		assert.Contains(t, n.out.String(), sub, "subscribed")
	}

	peer := exec.Command(venvPython(t), filepath.Join(repoRoot(t), "test", "peers", "learn_topics.py"), "--seconds=4")
	peer.Env = env
	p := startProc(t, "learn-topics", peer)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatal("topic publisher did not finish within 60 s")
	}
	require.NoError(t, p.err)
	out := p.out.String()
	i := strings.LastIndex(out, "RESULT ")
	require.GreaterOrEqual(t, i, 0, "publisher printed no result:\n%s", out)
	var res struct {
		Error     string     `json:"error"`
		Published [2]float64 `json:"published"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(out[i+len("RESULT "):])), &res))
	require.Empty(t, res.Error)
	n.stop(5 * time.Second)
	require.NoError(t, n.err, "node exit status")

	rewards, devs := readRecord(t, record, "shoulder_fb")
	// Leave the first second for discovery on the node's side.
	got := window(rewards, res.Published, 1.0)
	require.GreaterOrEqual(t, len(got), 20, "rewards while the topics were published")
	for _, r := range got {
		assert.InDelta(t, 0.6, r.GlobalReward, 1e-6, "mean of task/score 0.9 and task/score32 0.3")
		assert.InDelta(t, 1.0, r.ByLayer["motor"], 1e-9, "shoulder at the goal topic's target")
	}
	gotDevs := window(devs, res.Published, 1.0)
	require.GreaterOrEqual(t, len(gotDevs), 20)
	for _, d := range gotDevs {
		assert.InDelta(t, 0.25, d[0], 1e-6)
		for _, v := range d[1:] {
			require.InDelta(t, -0.5, v, 1e-6, "fit: hold pads with the last value")
		}
	}
	assert.Regexp(t, `msg="policies at stop" rewards=[1-9]\d* failed_rewards=0 bad_signals=0 `, n.out.String())
}
