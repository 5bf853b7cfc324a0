package localbrain

import (
	"math"
	"math/rand/v2"
)

// LIF parameters shared by every neuron of the demo network. Membrane
// potentials are unitless; one step is one brain timestep.
const (
	leak         = 0.8  // fraction of the potential kept from one step to the next
	inputDrive   = 0.9  // current into an input neuron sitting on its preferred position
	inputNoise   = 0.05 // standard deviation of the input neurons' background current
	outputNoise  = 0.08 // standard deviation of the output neurons' background current
	motorGain    = 6.0  // weight per unit of distance between a preferred position and the target
	inputNeurons = 21   // input neurons encoding one joint (odd: one sits on mid-range)
)

// jointWiring ties one proprioceptive input to the output population that
// moves that joint, and says where the joint should settle.
type jointWiring struct {
	Input  string
	Output string
	Target float64 // normalised position in [0, 1]
}

// networkConf shapes one run's network.
type networkConf struct {
	Gamma   int // timesteps per cycle
	OutputN int // neurons per output population
	Joints  []jointWiring
	Seed    uint64
}

// outputRow is the spike raster of one output population at one timestep.
type outputRow struct {
	T    int
	ID   string
	Bits []int
}

// network is a two-layer leaky integrate-and-fire network: per joint a
// population-coded input layer and an output population whose first half
// pushes the joint up and whose second half pushes it down. Only the cycle
// loop of its run touches it.
type network struct {
	conf   networkConf
	rng    *rand.Rand
	joints []jointState
}

type jointState struct {
	wiring    jointWiring
	preferred []float64 // preferred normalised position of each input neuron
	inV       []float64 // input membrane potentials
	inSpike   []bool
	outV      []float64 // output membrane potentials
	threshold []float64 // per output neuron, heterogeneous so the response grows smoothly
	motor     [][]float64
}

func newNetwork(conf networkConf) *network {
	n := &network{conf: conf, rng: rand.New(rand.NewPCG(conf.Seed, conf.Seed^0x9e3779b97f4a7c15))}
	for _, w := range conf.Joints {
		n.joints = append(n.joints, n.newJoint(w))
	}
	return n
}

func (n *network) newJoint(w jointWiring) jointState {
	j := jointState{
		wiring:    w,
		preferred: make([]float64, inputNeurons),
		inV:       make([]float64, inputNeurons),
		inSpike:   make([]bool, inputNeurons),
		outV:      make([]float64, n.conf.OutputN),
		threshold: make([]float64, n.conf.OutputN),
		motor:     make([][]float64, n.conf.OutputN),
	}
	for i := range j.preferred {
		j.preferred[i] = float64(i) / float64(inputNeurons-1)
	}
	half := n.conf.OutputN / 2
	for o := range j.motor {
		// Mirror neurons of the two halves share a threshold, so noise alone
		// moves the joint neither way.
		if o < half || o >= 2*half {
			j.threshold[o] = 0.6 + 0.8*n.rng.Float64()
		} else {
			j.threshold[o] = j.threshold[o-half]
		}
		j.motor[o] = make([]float64, inputNeurons)
		for i, p := range j.preferred {
			// The "motor" STDP3 layer: below the target the first half is
			// driven (move up), above it the second half (move down), the
			// more the farther the position is from the target.
			dist := w.Target - p
			switch {
			case o < half && dist > 0:
				j.motor[o][i] = motorGain * dist
			case o >= half && o < 2*half && dist < 0:
				j.motor[o][i] = -motorGain * dist
			}
		}
	}
	return j
}

// step runs one cycle of Gamma timesteps. positions holds the normalised
// position of each input that has one; a joint without a position leaves its
// input layer silent, so its outputs only carry background noise.
func (n *network) step(positions map[string]float64) []outputRow {
	rows := make([]outputRow, 0, n.conf.Gamma*len(n.joints))
	for t := range n.conf.Gamma {
		for k := range n.joints {
			j := &n.joints[k]
			x, ok := positions[j.wiring.Input]
			rows = append(rows, outputRow{T: t, ID: j.wiring.Output, Bits: n.stepJoint(j, x, ok)})
		}
	}
	return rows
}

func (n *network) stepJoint(j *jointState, x float64, known bool) []int {
	width := 1.0 / float64(inputNeurons-1)
	for i, p := range j.preferred {
		current := inputNoise * n.rng.NormFloat64()
		if known {
			d := (x - p) / width
			current += inputDrive * math.Exp(-d*d/2)
		}
		j.inSpike[i] = integrate(&j.inV[i], current, 1)
	}
	bits := make([]int, len(j.outV))
	for o := range j.outV {
		current := outputNoise * n.rng.NormFloat64()
		for i, spiked := range j.inSpike {
			if spiked {
				current += j.motor[o][i]
			}
		}
		if integrate(&j.outV[o], current, j.threshold[o]) {
			bits[o] = 1
		}
	}
	return bits
}

// integrate advances one membrane by one step and reports a spike.
func integrate(v *float64, current, threshold float64) bool {
	*v = *v*leak + current
	if *v >= threshold {
		*v = 0
		return true
	}
	if *v < 0 {
		*v = 0
	}
	return false
}

// normalise maps a raw position onto [0, 1] over [lo, hi].
func normalise(raw, lo, hi float64) float64 {
	if !(hi > lo) {
		return 0.5
	}
	x := (raw - lo) / (hi - lo)
	return math.Max(0, math.Min(1, x))
}
