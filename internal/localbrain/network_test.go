package localbrain

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bipolar is what a bipolarSplit decoder reads from one row.
func bipolar(bits []int) int {
	half := len(bits) / 2
	v := 0
	for i, b := range bits[:2*half] {
		if i < half {
			v += b
		} else {
			v -= b
		}
	}
	return v
}

// cycleValue sums the bipolar value of one output over a cycle.
func cycleValue(rows []outputRow, id string) int {
	v := 0
	for _, r := range rows {
		if r.ID == id {
			v += bipolar(r.Bits)
		}
	}
	return v
}

func demoNetwork(t *testing.T, seed uint64) (*network, *project) {
	t.Helper()
	p, err := demoProject()
	require.NoError(t, err)
	k := p.Contract.Constants
	return newNetwork(networkConf{Gamma: k.Gamma, OutputN: k.OutputWindowN, Joints: p.Joints, Seed: seed}), p
}

func TestNetworkPushesTowardTarget(t *testing.T) {
	tests := []struct {
		name     string
		shoulder float64 // radians
		wantSign int
	}{
		{"far below", -2.0, +1},
		{"below", 0.2, +1},
		{"above", 1.0, -1},
		{"far above", 2.5, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, _ := demoNetwork(t, 7)
			v := 0
			for range 5 {
				v += cycleValue(net.step(map[string]float64{"shoulder_pos": normalise(tc.shoulder, demoJointLo, demoJointHi)}), "shoulder_motor")
			}
			assert.Equal(t, tc.wantSign, sign(v), "bipolar value over 5 cycles: %d", v)
			assert.Greater(t, abs(v), 50, "a clear push, not noise")
		})
	}
}

func TestNetworkPushGrowsWithDistance(t *testing.T) {
	net, _ := demoNetwork(t, 3)
	push := func(q float64) int {
		v := 0
		for range 10 {
			v += cycleValue(net.step(map[string]float64{"elbow_pos": normalise(q, demoJointLo, demoJointHi)}), "elbow_motor")
		}
		return v
	}
	// Elbow target is -0.4 rad: pushes grow with the distance on each side.
	assert.Less(t, abs(push(-0.35)), abs(push(-0.1)))
	assert.Less(t, abs(push(-0.1)), abs(push(0.5)))
	assert.Less(t, abs(push(-0.45)), abs(push(-0.8)))
	assert.Less(t, abs(push(-0.8)), abs(push(-1.6)))
}

func TestNetworkSilentWithoutInput(t *testing.T) {
	net, _ := demoNetwork(t, 5)
	fed, starved := 0, 0
	for range 10 {
		rows := net.step(map[string]float64{"shoulder_pos": normalise(-2, demoJointLo, demoJointHi)})
		fed += abs(cycleValue(rows, "shoulder_motor"))
		starved += abs(cycleValue(rows, "elbow_motor"))
	}
	assert.Greater(t, fed, 10*starved, "a joint without input carries only noise (fed %d, starved %d)", fed, starved)
}

// A bipolarSplit decoder integrating the deltas settles the demo arm at
// its target posture from any start.
func TestNetworkClosedLoopSettles(t *testing.T) {
	const perStepMax = 0.0005
	starts := []struct{ shoulder, elbow float64 }{{0, 0}, {-2.5, 2.5}, {2.8, -2.8}, {0.6, -0.4}}
	for _, st := range starts {
		net, _ := demoNetwork(t, 11)
		q := map[string]float64{"shoulder_pos": st.shoulder, "elbow_pos": st.elbow}
		for range 60 {
			rows := net.step(map[string]float64{
				"shoulder_pos": normalise(q["shoulder_pos"], demoJointLo, demoJointHi),
				"elbow_pos":    normalise(q["elbow_pos"], demoJointLo, demoJointHi),
			})
			for _, r := range rows {
				q[map[string]string{"shoulder_motor": "shoulder_pos", "elbow_motor": "elbow_pos"}[r.ID]] += perStepMax * float64(bipolar(r.Bits))
			}
		}
		assert.InDelta(t, demoShoulderTarget, q["shoulder_pos"], 0.05, "shoulder from %v", st)
		assert.InDelta(t, demoElbowTarget, q["elbow_pos"], 0.05, "elbow from %v", st)
	}
}

func TestNetworkDeterministicBySeed(t *testing.T) {
	in := map[string]float64{"shoulder_pos": 0.3, "elbow_pos": 0.7}
	a, _ := demoNetwork(t, 42)
	b, _ := demoNetwork(t, 42)
	c, _ := demoNetwork(t, 43)
	ra, rb, rc := a.step(in), b.step(in), c.step(in)
	assert.Equal(t, ra, rb)
	assert.NotEqual(t, ra, rc)
}

func TestNetworkRowShape(t *testing.T) {
	net, p := demoNetwork(t, 1)
	rows := net.step(map[string]float64{"shoulder_pos": 0.1})
	k := p.Contract.Constants
	require.Len(t, rows, k.Gamma*2)
	for _, r := range rows {
		assert.GreaterOrEqual(t, r.T, 0)
		assert.Less(t, r.T, k.Gamma)
		assert.Contains(t, []string{"shoulder_motor", "elbow_motor"}, r.ID)
		require.Len(t, r.Bits, k.OutputWindowN)
		for _, b := range r.Bits {
			assert.Contains(t, []int{0, 1}, b)
		}
	}
}

func TestNormalise(t *testing.T) {
	tests := []struct{ raw, lo, hi, want float64 }{
		{0, -1, 1, 0.5},
		{-5, -1, 1, 0},
		{5, -1, 1, 1},
		{3, 2, 2, 0.5}, // degenerate range
		{1000, 0, 4096, 1000.0 / 4096},
	}
	for _, tc := range tests {
		assert.InDelta(t, tc.want, normalise(tc.raw, tc.lo, tc.hi), 1e-12)
	}
}

func BenchmarkNetworkStep(b *testing.B) {
	p, err := demoProject()
	require.NoError(b, err)
	net := newNetwork(networkConf{Gamma: 64, OutputN: 32, Joints: p.Joints, Seed: 1})
	in := map[string]float64{"shoulder_pos": 0.2, "elbow_pos": 0.8}
	for b.Loop() {
		net.step(in)
	}
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func abs(v int) int { return int(math.Abs(float64(v))) }
