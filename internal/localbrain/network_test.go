package localbrain

import (
	"slices"
	"testing"

	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/sensor"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests assert relations (more than, signs, equality between twin
// networks), never tuned values: the constants of network.go are retuned
// while the behaviour they pin down must hold.

const (
	testGamma  = 64
	testOutN   = 32
	testFbN    = 16
	testLayer  = "motor"
	testOutput = "motor_out"
)

// armConf is a one-joint arm with a camera, one output and one feedback
// population nudging it.
func armConf(seed uint64, learning bool) networkConf {
	return networkConf{
		Gamma: testGamma, Layer: testLayer, Learning: learning, Seed: seed,
		Sensors: []sensorPort{
			{ID: "joint", Kind: contract.KindProprioception, N: inputNeurons},
			{ID: "cam", Kind: contract.KindImage, N: imageSide * imageSide},
		},
		Outputs:  []outputPort{{ID: testOutput, N: testOutN}},
		Feedback: []feedbackPort{{ID: "fb", N: testFbN, FromOutput: testOutput}},
	}
}

// jointOnlyConf has a single joint population and no feedback, so that
// weights can be wired by hand.
func jointOnlyConf(seed uint64) networkConf {
	return networkConf{
		Gamma: testGamma, Layer: testLayer, Learning: true, Seed: seed,
		Sensors: []sensorPort{{ID: "joint", Kind: contract.KindProprioception, N: inputNeurons}},
		Outputs: []outputPort{{ID: testOutput, N: testOutN}},
	}
}

func jointAt(x float64) map[string][]float64 {
	return map[string][]float64{"joint": jointDrive(make([]float64, inputNeurons), x)}
}

// deviationRaster is the feedback raster of a constant deviation d, built
// the way the server builds it from deviation_f32.
func deviationRaster(t *testing.T, d float64, n int) []float32 {
	t.Helper()
	dev := make([]float64, testGamma)
	for i := range dev {
		dev[i] = d
	}
	raw, _, err := sensor.AppendRaster(nil, dev, testGamma, n)
	require.NoError(t, err)
	return float32s(raw)
}

// weights is a copy of every output's motor weights.
func weights(n *network) [][]float64 {
	out := make([][]float64, len(n.outputs))
	for k := range n.outputs {
		out[k] = slices.Clone(n.outputs[k].w)
	}
	return out
}

// halfSpikes counts the spikes of the first (up) and second (down) half.
func halfSpikes(rows []outputRow) (up, down int) {
	for _, r := range rows {
		half := len(r.Bits) / 2
		for i, b := range r.Bits[:2*half] {
			if i < half {
				up += b
			} else {
				down += b
			}
		}
	}
	return up, down
}

func bipolarSum(rows []outputRow) int {
	sum := 0
	for _, r := range rows {
		sum += bipolar(r.Bits)
	}
	return sum
}

// runCycles steps n through cycles first..first+count−1 on in(c) and
// returns every row.
func runCycles(n *network, first, count int, in func(c int) cycleInput) []outputRow {
	var rows []outputRow
	for c := first; c < first+count; c++ {
		ci := in(c)
		ci.Cycle = c
		rows = append(rows, n.step(ci)...)
	}
	return rows
}

// scripted is a busy input script: a moving joint, a camera frame, a
// feedback raster every other cycle and a reward for every previous cycle.
func scripted(t *testing.T) func(c int) cycleInput {
	cam := make([]float64, imageSide*imageSide)
	for i := range cam {
		cam[i] = imageDrive * float64(i%7) / 6
	}
	raster := deviationRaster(t, 0.6, testFbN)
	return func(c int) cycleInput {
		in := cycleInput{Drives: jointAt(0.2 + 0.05*float64(c))}
		in.Drives["cam"] = cam
		if c%2 == 0 {
			in.Rasters = map[string][]float32{"fb": raster}
		}
		if c > 1 {
			in.Rewards = []Reward{{Cycle: c - 1, Global: 0.2 + 0.1*float64(c%7)}}
		}
		return in
	}
}

func TestNetworkDeterminism(t *testing.T) {
	tests := []struct {
		name       string
		seedA      uint64
		seedB      uint64
		wantEqual  bool
		wantReason string
	}{
		{"same seed", 3, 3, true, "same seed and inputs must repeat exactly"},
		{"different seed", 3, 4, false, "another seed must draw other noise and weights"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newNetwork(armConf(tc.seedA, true)), newNetwork(armConf(tc.seedB, true))
			rowsA := runCycles(a, 1, 12, scripted(t))
			rowsB := runCycles(b, 1, 12, scripted(t))
			if tc.wantEqual {
				assert.Equal(t, rowsA, rowsB, tc.wantReason)
				assert.Equal(t, weights(a), weights(b), tc.wantReason)
				assert.Equal(t, a.learningStats(), b.learningStats())
			} else {
				assert.NotEqual(t, rowsA, rowsB, tc.wantReason)
				assert.NotEqual(t, weights(a), weights(b), tc.wantReason)
			}
			assert.Positive(t, a.learningStats().Rewards, "the script's rewards were applied")
		})
	}
}

func TestNetworkLearningSwitch(t *testing.T) {
	off, on := false, true
	tests := []struct {
		name     string
		learning bool
		toggle   *bool // sent with the first cycle, overriding the conf
		changes  bool
	}{
		{"learning on", true, nil, true},
		{"learning off", false, nil, false},
		{"switched off by the cycle input", true, &off, false},
		{"switched on by the cycle input", false, &on, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(armConf(5, tc.learning))
			before := weights(n)
			script := scripted(t)
			runCycles(n, 1, 10, func(c int) cycleInput {
				in := script(c)
				if c == 1 {
					in.Learning = tc.toggle
				}
				if c > 1 {
					in.Rewards = []Reward{{Cycle: c - 1, Global: 1}}
				}
				return in
			})
			st := n.learningStats()
			if tc.changes {
				assert.NotEqual(t, before, weights(n))
				assert.Positive(t, st.WeightChange)
			} else {
				assert.Equal(t, before, weights(n), "frozen weights must not move under rewards")
				assert.Zero(t, st.WeightChange)
			}
		})
	}
}

// A hand-wired cycle in which the active inputs drive only the up half:
// a good reward for it strengthens those synapses (causal pre→post pairing
// leaves positive eligibility), a bad one weakens them, 0.5 is neutral.
func TestNetworkRewardCreditsTheHalfThatActed(t *testing.T) {
	active := []int{8, 9, 10, 11, 12}
	drive := make([]float64, inputNeurons)
	for _, i := range active {
		drive[i] = 1 // fires every step whatever the leak
	}
	tests := []struct {
		name   string
		reward float64
		sign   int
	}{
		{"good reward", 1, +1},
		{"bad reward", 0, -1},
		{"neutral reward", 0.5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(jointOnlyConf(11))
			o := &n.outputs[0]
			half := o.port.N / 2
			clear(o.w)
			for m := range half {
				for _, i := range active {
					o.w[m*n.inN+i] = maxWeight / 3
				}
			}
			in := cycleInput{Drives: map[string][]float64{"joint": drive}}
			in.Cycle = 1
			first := n.step(in)
			up, down := halfSpikes(first)
			require.Greater(t, up, down, "the wiring must make cycle 1 push up")
			in.Cycle = 2
			n.step(in)
			before := slices.Clone(o.w)
			// The reward scoring cycle 2 scores the motion cycle 1 commanded.
			in.Cycle, in.Rewards = 3, []Reward{{Cycle: 2, Global: tc.reward}}
			n.step(in)

			var dUp, dDown float64
			for m := range 2 * half {
				for _, i := range active {
					d := o.w[m*n.inN+i] - before[m*n.inN+i]
					if m < half {
						dUp += d
					} else {
						dDown += d
					}
				}
			}
			t.Logf("Δw from the active inputs: up half %+.4f, down half %+.4f", dUp, dDown)
			assert.Equal(t, 1, n.learningStats().Rewards)
			switch tc.sign {
			case +1:
				assert.Positive(t, dUp)
				assert.Greater(t, dUp, dDown, "the half that acted gets the credit")
			case -1:
				assert.Negative(t, dUp)
				assert.Less(t, dUp, dDown, "the half that acted gets the blame")
			default:
				assert.Equal(t, before, o.w, "a reward of 0.5 moves nothing")
			}
		})
	}
}

func TestNetworkLateRewards(t *testing.T) {
	// After k cycles the last creditKeep cycles' eligibility is kept: a
	// reward for cycle c uses cycles c−1 and c−2.
	k := creditKeep + 4
	tests := []struct {
		name    string
		cycle   int
		applied bool
	}{
		{"latest cycle", k, true},
		{"oldest cycle still credited", k - creditKeep + 2, true},
		{"one cycle older", k - creditKeep + 1, false},
		{"long gone", 2, false},
		{"first cycle: nothing before it", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(armConf(2, true))
			runCycles(n, 1, k, func(int) cycleInput { return cycleInput{Drives: jointAt(0.5)} })
			before := weights(n)
			n.step(cycleInput{Cycle: k + 1, Drives: jointAt(0.5), Rewards: []Reward{{Cycle: tc.cycle, Global: 1}}})
			st := n.learningStats()
			if tc.applied {
				assert.Equal(t, LearningStats{Rewards: 1}, LearningStats{Rewards: st.Rewards, Late: st.Late})
				assert.NotEqual(t, before, weights(n))
			} else {
				assert.Equal(t, LearningStats{Late: 1}, LearningStats{Rewards: st.Rewards, Late: st.Late})
				assert.Equal(t, before, weights(n), "a late reward changes nothing")
				assert.Zero(t, st.WeightChange)
			}
		})
	}
}

// twinsAfter steps two twin networks through the same cycles and hands
// each a different reward with cycle k+1; it returns their weights.
func twinsAfter(t *testing.T, k int, a, b Reward) (wa, wb [][]float64) {
	t.Helper()
	var out [2][][]float64
	for i, r := range []Reward{a, b} {
		n := newNetwork(armConf(8, true))
		runCycles(n, 1, k, func(int) cycleInput { return cycleInput{Drives: jointAt(0.35)} })
		n.step(cycleInput{Cycle: k + 1, Drives: jointAt(0.35), Rewards: []Reward{r}})
		require.Equal(t, 1, n.learningStats().Rewards, "reward %+v", r)
		out[i] = weights(n)
	}
	return out[0], out[1]
}

func TestNetworkRewardWithoutUsableCycleScoresTheLatest(t *testing.T) {
	const k = 6
	latest := Reward{Cycle: k, Global: 0.9}
	for _, cycle := range []int{0, -3, k + 1, 1000} {
		r := latest
		r.Cycle = cycle
		wa, wb := twinsAfter(t, k, r, latest)
		assert.Equal(t, wb, wa, "cycle %d", cycle)
	}
	// Not trivially equal: another cycle's credit moves other weights.
	wa, wb := twinsAfter(t, k, Reward{Cycle: k - 1, Global: 0.9}, latest)
	assert.NotEqual(t, wb, wa)
}

func TestNetworkByLayerOverridesGlobal(t *testing.T) {
	const k = 5
	tests := []struct {
		name string
		got  Reward
		same Reward
	}{
		{"layer low, global high", Reward{Cycle: k, Global: 1, ByLayer: map[string]float64{testLayer: 0}}, Reward{Cycle: k, Global: 0}},
		{"layer high, global low", Reward{Cycle: k, Global: 0, ByLayer: map[string]float64{testLayer: 1}}, Reward{Cycle: k, Global: 1}},
		{"another layer is ignored", Reward{Cycle: k, Global: 0.9, ByLayer: map[string]float64{"cortex": 0.1}}, Reward{Cycle: k, Global: 0.9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wa, wb := twinsAfter(t, k, tc.got, tc.same)
			assert.Equal(t, wb, wa)
		})
	}
	wa, wb := twinsAfter(t, k, Reward{Cycle: k, Global: 1}, Reward{Cycle: k, Global: 0})
	assert.NotEqual(t, wb, wa, "the comparison can tell rewards apart")
}

func TestNetworkFeedbackNudgesItsOutput(t *testing.T) {
	sum := func(raster []float32) (int, int, int) {
		n := newNetwork(armConf(21, false))
		in := cycleInput{}
		if raster != nil {
			in.Rasters = map[string][]float32{"fb": raster}
		}
		rows := runCycles(n, 1, 8, func(int) cycleInput { return in })
		up, down := halfSpikes(rows)
		return bipolarSum(rows), up, down
	}
	none, noneUp, noneDown := sum(nil)
	above, _, aboveDown := sum(deviationRaster(t, 1, testFbN))
	half, _, _ := sum(deviationRaster(t, 0.5, testFbN))
	below, belowUp, _ := sum(deviationRaster(t, -1, testFbN))
	t.Logf("bipolar sums: above %d, half above %d, none %d, below %d", above, half, none, below)

	assert.Greater(t, aboveDown, noneDown, "above target: the down half fires more")
	assert.Less(t, above, half, "more deviation, more nudge")
	assert.Less(t, half, none)
	assert.Greater(t, belowUp, noneUp, "below target: the up half fires more")
	assert.Greater(t, below, none)
}

func TestNetworkOddShapesDoNotPanic(t *testing.T) {
	withFeedback := func(f feedbackPort, outN int) networkConf {
		c := armConf(4, true)
		c.Outputs = []outputPort{{ID: testOutput, N: outN}}
		c.Feedback = []feedbackPort{f}
		return c
	}
	tests := []struct {
		name string
		conf networkConf
	}{
		{"fromOutput names no output", withFeedback(feedbackPort{ID: "fb", N: testFbN, FromOutput: "nowhere"}, testOutN)},
		{"fromOutput empty", withFeedback(feedbackPort{ID: "fb", N: testFbN}, testOutN)},
		{"one-neuron feedback", withFeedback(feedbackPort{ID: "fb", N: 1, FromOutput: testOutput}, testOutN)},
		{"odd feedback and output", withFeedback(feedbackPort{ID: "fb", N: 7, FromOutput: testOutput}, 5)},
		{"one-neuron output", withFeedback(feedbackPort{ID: "fb", N: testFbN, FromOutput: testOutput}, 1)},
		{"no sensors", networkConf{Gamma: testGamma, Learning: true, Outputs: []outputPort{{ID: testOutput, N: testOutN}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fbN := 0
			if len(tc.conf.Feedback) > 0 {
				fbN = tc.conf.Feedback[0].N
			}
			raster := make([]float32, testGamma*fbN)
			for i := range raster {
				raster[i] = 1
			}
			assert.NotPanics(t, func() {
				n := newNetwork(tc.conf)
				runCycles(n, 1, 4, func(c int) cycleInput {
					in := cycleInput{Drives: jointAt(0.5), Rewards: []Reward{{Cycle: c - 1, Global: 1}}}
					switch c % 3 {
					case 0:
						in.Rasters = map[string][]float32{"fb": raster}
					case 1:
						in.Rasters = map[string][]float32{"fb": raster[:len(raster)/2]} // wrong size: ignored
					}
					return in
				})
				n.learningStats()
			})
		})
	}

	// A feedback population that nudges no output changes no spike.
	c := withFeedback(feedbackPort{ID: "fb", N: testFbN, FromOutput: "nowhere"}, testOutN)
	quiet, nudged := newNetwork(c), newNetwork(c)
	raster := deviationRaster(t, 1, testFbN)
	rowsQuiet := runCycles(quiet, 1, 4, func(int) cycleInput { return cycleInput{Drives: jointAt(0.5)} })
	rowsNudged := runCycles(nudged, 1, 4, func(int) cycleInput {
		return cycleInput{Drives: jointAt(0.5), Rasters: map[string][]float32{"fb": raster}}
	})
	assert.Equal(t, rowsQuiet, rowsNudged)
}

// Whatever the sign of the eligibility, one of reward 1 and reward 0 pushes
// weights that start at a bound into it: every weight must stay within
// [0, maxWeight·scale] of its population, and each bound must be reached.
func TestNetworkWeightsStayWithinBounds(t *testing.T) {
	cam, err := imageDrive64(tinyJPEG(t, 255))
	require.NoError(t, err)
	strong := make([]float64, inputNeurons)
	for i := range strong {
		strong[i] = 1
	}
	var reachedTop, reachedZero bool
	for _, start := range []string{"top", "zero"} {
		for _, reward := range []float64{1, 0} {
			n := newNetwork(armConf(6, true))
			for k := range n.outputs {
				o := &n.outputs[k]
				for m := range o.port.N {
					for _, s := range n.sensors {
						row := o.w[m*n.inN+s.offset : m*n.inN+s.offset+s.port.N]
						for i := range row {
							if start == "top" {
								row[i] = maxWeight * s.scale * (1 - 1e-6)
							} else {
								row[i] = maxWeight * s.scale * 1e-6
							}
						}
					}
				}
			}
			for c := 1; c <= 30; c++ {
				in := cycleInput{Cycle: c, Drives: map[string][]float64{"joint": strong, "cam": cam}}
				for range 10 { // many extreme rewards per cycle
					in.Rewards = append(in.Rewards, Reward{Cycle: c - 1, Global: reward})
				}
				n.step(in)
				for k := range n.outputs {
					o := &n.outputs[k]
					for m := range o.port.N {
						for _, s := range n.sensors {
							top := maxWeight * s.scale
							for i, w := range o.w[m*n.inN+s.offset : m*n.inN+s.offset+s.port.N] {
								require.GreaterOrEqual(t, w, 0.0, "start %s, reward %g, cycle %d, %s[%d]", start, reward, c, s.port.ID, i)
								require.LessOrEqual(t, w, top, "start %s, reward %g, cycle %d, %s[%d]", start, reward, c, s.port.ID, i)
								reachedTop = reachedTop || w == top
								reachedZero = reachedZero || w == 0
							}
						}
					}
				}
			}
			st := n.learningStats()
			assert.GreaterOrEqual(t, st.MeanWeight, 0.0)
			assert.LessOrEqual(t, st.MeanWeight, maxWeight)
		}
	}
	assert.True(t, reachedTop, "no weight was pushed into the upper bound")
	assert.True(t, reachedZero, "no weight was pushed into the lower bound")
}

func TestNetworkImageDriveChangesSpiking(t *testing.T) {
	white, err := imageDrive64(tinyJPEG(t, 255))
	require.NoError(t, err)
	spiking := func(cam []float64) ([]outputRow, int) {
		n := newNetwork(armConf(13, false))
		rows := runCycles(n, 1, 10, func(int) cycleInput {
			in := cycleInput{Drives: jointAt(0.5)}
			if cam != nil {
				in.Drives["cam"] = cam
			}
			return in
		})
		up, down := halfSpikes(rows)
		return rows, up + down
	}
	blind, blindSpikes := spiking(nil)
	seeing, seeingSpikes := spiking(white)
	t.Logf("output spikes: blind %d, seeing %d", blindSpikes, seeingSpikes)
	assert.NotEqual(t, blind, seeing)
	assert.Greater(t, seeingSpikes, blindSpikes, "the camera's synapses add current")
}

// An input without a usable sample is silent but for noise: no drive, a
// drive of the wrong length and an all-zero drive are the same cycle.
func TestNetworkMissingInputsLeaveOnlyNoise(t *testing.T) {
	tests := []struct {
		name   string
		drives map[string][]float64
	}{
		{"no drives", nil},
		{"drive of the wrong length", map[string][]float64{"joint": make([]float64, inputNeurons-1), "cam": {1, 1}}},
		{"drive of another input", map[string][]float64{"tail": make([]float64, inputNeurons)}},
	}
	silent := map[string][]float64{"joint": make([]float64, inputNeurons), "cam": make([]float64, imageSide*imageSide)}
	want := runCycles(newNetwork(armConf(17, true)), 1, 5, func(int) cycleInput { return cycleInput{Drives: silent} })
	up, down := halfSpikes(want)
	assert.Positive(t, up+down, "output noise explores without any input")
	driven := runCycles(newNetwork(armConf(17, true)), 1, 5, func(int) cycleInput { return cycleInput{Drives: jointAt(0.5)} })
	assert.NotEqual(t, want, driven, "the comparison can tell a driven network apart")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runCycles(newNetwork(armConf(17, true)), 1, 5, func(int) cycleInput { return cycleInput{Drives: tc.drives} })
			assert.Equal(t, want, got)
		})
	}
}
