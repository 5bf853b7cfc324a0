package integration

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// qosPeerResult is what test/peers/qos_peer.py prints.
type qosPeerResult struct {
	Trajectories int             `json:"trajectories"`
	Latched      int             `json:"latched"`
	Contract     trajectoryTally `json:"contract"`
}

// shippedJointStatesQoS is the joint_states entry of config/bridge.yaml's
// qos section, which a test replaces to change that topic's QoS.
const shippedJointStatesQoS = "  joint_states:\n    reliability: best_effort\n    durability: volatile\n    history: keep_last\n    depth: 10\n"

// startQoSNode runs the node on the embedded local brain with the shipped
// configuration, its joint_states QoS entry replaced by jsQoS ("" keeps it).
func startQoSNode(t *testing.T, env []string, jsQoS string) *proc {
	t.Helper()
	var replace []string
	if jsQoS != "" {
		replace = []string{shippedJointStatesQoS, jsQoS}
	}
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"), nodeArgv(writeNodeConfig(t, "/arm/ab_bridge", replace...))...)
	cmd.Env = env
	n := startProc(t, "ab_bridge_node", cmd)
	n.waitOutput(t, "realtime joined", 30*time.Second)
	return n
}

// runQoSPeer runs qos_peer.py to the end and returns its result.
func runQoSPeer(t *testing.T, env []string, args ...string) qosPeerResult {
	t.Helper()
	cmd := exec.Command(venvPython(t), append([]string{filepath.Join(repoRoot(t), "test", "peers", "qos_peer.py")}, args...)...)
	cmd.Env = env
	p := startProc(t, "qos-peer", cmd)
	var r qosPeerResult
	peerResult(t, p, 60*time.Second, &r)
	return r
}

// joint_states reach the node whether the driver publishes them best
// effort (the sensor-data profile) or reliable, and the node's trajectories
// reach a subscription that asks for RELIABLE delivery, which only a
// reliable publisher can serve. The start log says each topic's QoS, a
// configured depth included.
func TestQoSJointStatesAnyReliabilityCommandsReliable(t *testing.T) {
	for _, tc := range []struct {
		jsQoS string
		qos   string // the node's joint_states qos entry ("": the shipped one)
		log   []string
	}{
		{"sensor_data", "  joint_states: {depth: 7}\n", []string{
			"qos topic=joint_states as=subscription reliability=best_effort durability=volatile history=keep_last depth=7",
			"qos topic=joint_trajectory as=publisher reliability=reliable durability=volatile history=keep_last depth=10",
		}},
		{"reliable", "", []string{
			"qos topic=joint_states as=subscription reliability=best_effort durability=volatile history=keep_last depth=10",
			"qos topic=camera/image_raw as=subscription reliability=best_effort durability=volatile history=keep_last depth=2",
		}},
	} {
		t.Run(tc.jsQoS, func(t *testing.T) {
			env := rosEnv(t)
			n := startQoSNode(t, env, tc.qos)
			r := runQoSPeer(t, env, "--js-qos", tc.jsQoS, "--min-trajectories", "20", "--timeout", "30")
			assert.GreaterOrEqual(t, r.Trajectories, 20, "trajectories the reliable subscription received")
			assert.Zero(t, r.Contract.Refused, "refused: %v %v", r.Contract.RefusedByRule, r.Contract.FirstRefusals)
			assert.Equal(t, r.Trajectories, r.Contract.Accepted, "every trajectory accepted")
			out := n.out.String()
			for _, l := range tc.log {
				assert.Contains(t, out, l)
			}
			assert.NotContains(t, out, "QoS incompatible", "nothing to report when the QoS match")
		})
	}
}

// rclgo exposes no QoS events, so the node reads the graph: a peer whose
// QoS cannot match the node's is named in a warning, on either side — a
// best-effort joint_states publisher against a subscription configured
// reliable, and a transient-local trajectory subscription against the
// node's volatile publisher.
func TestQoSIncompatiblePeersAreReported(t *testing.T) {
	env := rosEnv(t)
	n := startQoSNode(t, env, "  joint_states: {reliability: reliable}\n")
	r := runQoSPeer(t, env, "--js-qos", "sensor_data", "--transient-local-sub", "--min-trajectories", "1000000", "--timeout", "4")
	out := n.out.String()
	assert.Zero(t, r.Trajectories, "no joint_states reach a reliable subscription from a best-effort publisher, so nothing moves")
	assert.Contains(t, out, "qos topic=joint_states as=subscription reliability=reliable")
	assert.Regexp(t, `WARN.*QoS incompatible: no messages will flow between these endpoints"? topic=/joint_states ours="subscription reliable volatile" peer=/ab_qos_peer peer_qos="publisher best_effort volatile"`, out)
	assert.Regexp(t, `WARN.*QoS incompatible: no messages will flow between these endpoints"? topic=/joint_trajectory ours="publisher reliable volatile" peer=/ab_qos_peer peer_qos="subscription reliable transient_local"`, out)
	assert.Equal(t, 2, strings.Count(out, "QoS incompatible"), "each peer endpoint reported once")
}

// A qos entry for a topic the node neither subscribes nor publishes stops
// it at start with the entry's file:line.
func TestQoSEntryForNoTopicIsRefused(t *testing.T) {
	env := rosEnv(t)
	cmd := exec.Command(goBinary(t, "cmd/ab_bridge_node"),
		nodeArgv(writeNodeConfig(t, "/arm/ab_bridge", "\nqos:\n", "\nqos:\n  joint_state: {depth: 3}\n"))...)
	cmd.Env = env
	p := startProc(t, "ab_bridge_node", cmd)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("node did not stop on the unused qos entry")
	}
	require.Error(t, p.err, "exit status")
	assert.Regexp(t, `bridge\.yaml:\d+: qos: topic \\?"joint_state\\?" is not one the node subscribes or publishes`, p.out.String())
}
