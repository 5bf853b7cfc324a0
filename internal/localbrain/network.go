package localbrain

import (
	"math"
	"math/rand/v2"
)

// LIF and learning parameters of the network (doc.go has the equations).
// Membrane potentials are unitless; one step is one brain timestep.
const (
	leak          = 0.8  // fraction of the potential kept from one step to the next
	inputDrive    = 0.9  // current into a proprioceptive neuron on its preferred position
	imageDrive    = 0.6  // current into an image neuron seeing full white
	audioDrive    = 0.6  // current into an audio neuron at full band energy
	feedbackDrive = 1.2  // current into a feedback neuron at raster value 1
	sensorNoise   = 0.05 // standard deviation of the sensory neurons' background current
	outputNoise   = 0.4  // standard deviation of the output neurons' background current: the exploration
	inputNeurons  = 21   // neurons encoding one joint (odd: one sits on mid-range)
	imageSide     = 8    // an image input is seen as imageSide×imageSide intensities
	audioBands    = 8    // an audio input is seen as this many band energies
	nudgeWeight   = 0.25 // current into each output neuron of a half when its whole feedback half spikes

	initWeight = 0.05 // motor weights start uniform in [0, initWeight)
	maxWeight  = 1.5  // and stay within [0, maxWeight]
	tracePre   = 0.7  // per-step decay of a presynaptic trace (τ ≈ 2.8 steps)
	tracePost  = 0.7  // per-step decay of a postsynaptic trace
	ltp        = 1.0  // eligibility added per post spike, times the presynaptic trace
	ltd        = 0.5  // eligibility removed per pre spike, times the postsynaptic trace
	learnRate  = 0.1  // weight change per unit of eligibility and of reward above 0.5
	creditLag2 = 0.5  // share of a reward credited to the cycle before the one it scores
	creditKeep = 3    // cycles of eligibility kept for rewards that arrive late
)

// sensorPort is one contract input the network senses, as a population of
// N neurons.
type sensorPort struct {
	ID   string
	Kind string
	N    int
}

// outputPort is one output population: its first half pushes its channel
// up, its second half down, as a bipolarSplit decoder reads them.
type outputPort struct {
	ID string
	N  int
}

// feedbackPort is one feedback population and the output it nudges.
type feedbackPort struct {
	ID         string
	N          int
	FromOutput string
}

// networkConf shapes one run's network.
type networkConf struct {
	Gamma    int // timesteps per cycle
	Sensors  []sensorPort
	Outputs  []outputPort
	Feedback []feedbackPort
	Layer    string // the STDP3 layer the motor weights are: the byLayer key of their reward
	Learning bool   // false freezes the weights (a control for the learning curves)
	Seed     uint64
}

// outputRow is the spike raster of one output population at one timestep.
type outputRow struct {
	T    int
	ID   string
	Bits []int
}

// cycleInput is what one cycle steps on: a constant drive per sensory
// neuron of each input that has a sample (absent inputs stay silent but for
// noise), and per feedback input a raster, T rows of N values in [0, 1].
type cycleInput struct {
	Cycle    int // the run's cycle number, which rewards name
	Drives   map[string][]float64
	Rasters  map[string][]float32
	Rewards  []Reward // arrived since the previous step, in order
	Learning *bool    // a change of the run's learning switch, if any
}

// network is a two-layer leaky integrate-and-fire network: sensory
// populations (proprioception, images, audio) all-to-all into the output
// populations through the plastic motor layer, and feedback populations
// that nudge the output they belong to. Only the cycle loop of its run
// touches it.
type network struct {
	conf    networkConf
	rng     *rand.Rand
	cycle   int
	sensors []sensorState
	inN     int       // sensory neurons in all
	inSpike []int     // indices of the sensory neurons that spiked this step
	pre     []float64 // presynaptic traces, per sensory neuron
	outputs []outputState
	fb      []feedbackState
	stats   LearningStats
}

type sensorState struct {
	port   sensorPort
	offset int     // index of its first neuron among all sensory neurons
	scale  float64 // inputNeurons / N: the population's share of weight and learning
	v      []float64
}

type outputState struct {
	port      outputPort
	v         []float64
	threshold []float64
	post      []float64
	nudge     []float64 // this step's feedback current per neuron
	w         []float64 // motor weights, row-major: neuron × sensory neuron
	elig      [creditKeep][]float64
	eligCycle [creditKeep]int
}

type feedbackState struct {
	port   feedbackPort
	out    int // index into outputs; -1 when fromOutput names none
	v      []float64
	raster []float32 // the latest; kept when a cycle brings none
}

// LearningStats says what a run's network learned from.
type LearningStats struct {
	Rewards      int     // learn:reward credited to a kept cycle (changing the weights when learning is on)
	Late         int     // rewards for cycles whose eligibility was gone
	MeanWeight   float64 // over every motor synapse, after the last change
	WeightChange float64 // sum of |Δw| so far
}

func newNetwork(conf networkConf) *network {
	n := &network{conf: conf, rng: rand.New(rand.NewPCG(conf.Seed, conf.Seed^0x9e3779b97f4a7c15))}
	for _, s := range conf.Sensors {
		n.sensors = append(n.sensors, sensorState{port: s, offset: n.inN, scale: float64(inputNeurons) / float64(s.N), v: make([]float64, s.N)})
		n.inN += s.N
	}
	n.pre = make([]float64, n.inN)
	for _, o := range conf.Outputs {
		n.outputs = append(n.outputs, n.newOutput(o))
	}
	for _, f := range conf.Feedback {
		st := feedbackState{port: f, out: -1, v: make([]float64, f.N)}
		for i, o := range conf.Outputs {
			if o.ID == f.FromOutput {
				st.out = i
			}
		}
		n.fb = append(n.fb, st)
	}
	return n
}

func (n *network) newOutput(p outputPort) outputState {
	o := outputState{
		port: p, v: make([]float64, p.N), threshold: make([]float64, p.N),
		post: make([]float64, p.N), nudge: make([]float64, p.N), w: make([]float64, p.N*n.inN),
	}
	half := p.N / 2
	for m := range p.N {
		// Mirror neurons of the two halves share a threshold, so that noise
		// alone moves the channel neither way.
		if m < half || m >= 2*half {
			o.threshold[m] = 0.6 + 0.8*n.rng.Float64()
		} else {
			o.threshold[m] = o.threshold[m-half]
		}
	}
	for m := range p.N {
		for _, s := range n.sensors {
			// A population's weights start and learn in proportion to
			// 1/size, so that a 64-cell camera weighs on an output no more
			// than a 21-neuron joint does.
			row := o.w[m*n.inN+s.offset : m*n.inN+s.offset+s.port.N]
			for i := range row {
				row[i] = initWeight * s.scale * n.rng.Float64()
			}
		}
	}
	for k := range o.elig {
		o.elig[k] = make([]float64, p.N*n.inN)
		o.eligCycle[k] = -1
	}
	return o
}

// step runs one cycle of Gamma timesteps: first the rewards that arrived
// change the weights, then the network runs on in's samples, keeping this
// cycle's eligibility for the rewards to come.
func (n *network) step(in cycleInput) []outputRow {
	if in.Learning != nil {
		n.conf.Learning = *in.Learning
	}
	for _, r := range in.Rewards {
		n.learn(r)
	}
	n.cycle = max(in.Cycle, n.cycle+1)
	slot := n.cycle % creditKeep
	for k := range n.outputs {
		o := &n.outputs[k]
		clear(o.elig[slot])
		o.eligCycle[slot] = n.cycle
	}
	for k := range n.fb {
		if r, ok := in.Rasters[n.fb[k].port.ID]; ok && len(r) == n.conf.Gamma*n.fb[k].port.N {
			n.fb[k].raster = r
		}
	}
	rows := make([]outputRow, 0, n.conf.Gamma*len(n.outputs))
	for t := range n.conf.Gamma {
		n.stepSensors(in.Drives)
		n.stepFeedback(t)
		for k := range n.outputs {
			rows = append(rows, outputRow{T: t, ID: n.outputs[k].port.ID, Bits: n.stepOutput(&n.outputs[k], slot)})
		}
	}
	return rows
}

// stepSensors advances every sensory neuron one step and updates the
// presynaptic traces.
func (n *network) stepSensors(drives map[string][]float64) {
	n.inSpike = n.inSpike[:0]
	for k := range n.sensors {
		s := &n.sensors[k]
		drive := drives[s.port.ID]
		for i := range s.v {
			current := sensorNoise * n.rng.NormFloat64()
			if len(drive) == len(s.v) {
				current += drive[i]
			}
			if integrate(&s.v[i], current, 1) {
				n.inSpike = append(n.inSpike, s.offset+i)
			}
		}
	}
	for i := range n.pre {
		n.pre[i] *= tracePre
	}
	for _, i := range n.inSpike {
		n.pre[i]++
	}
}

// stepFeedback advances the feedback populations at timestep t and sets
// the nudge each puts on its output: its first half (above target) drives
// the output's second half (down), its second half the first (up).
func (n *network) stepFeedback(t int) {
	for k := range n.outputs {
		clear(n.outputs[k].nudge)
	}
	for k := range n.fb {
		f := &n.fb[k]
		half := f.port.N / 2
		var above, below int
		for i := range f.v {
			current := sensorNoise * n.rng.NormFloat64()
			if f.raster != nil {
				current += feedbackDrive * float64(f.raster[t*f.port.N+i])
			}
			if integrate(&f.v[i], current, 1) {
				switch {
				case i < half:
					above++
				case i < 2*half:
					below++
				}
			}
		}
		if f.out < 0 || half == 0 {
			continue
		}
		o := &n.outputs[f.out]
		oh := o.port.N / 2
		for m := range 2 * oh {
			if m < oh {
				o.nudge[m] += nudgeWeight * float64(below) / float64(half)
			} else {
				o.nudge[m] += nudgeWeight * float64(above) / float64(half)
			}
		}
	}
}

// stepOutput advances one output population one step, accumulating this
// cycle's eligibility in slot, and returns its spikes.
func (n *network) stepOutput(o *outputState, slot int) []int {
	bits := make([]int, o.port.N)
	elig := o.elig[slot]
	for m := range o.v {
		row := o.w[m*n.inN : (m+1)*n.inN]
		current := outputNoise*n.rng.NormFloat64() + o.nudge[m]
		for _, i := range n.inSpike {
			current += row[i]
		}
		erow := elig[m*n.inN : (m+1)*n.inN]
		// Depression: a presynaptic spike after this neuron's recent spikes.
		if o.post[m] > 0 {
			for _, i := range n.inSpike {
				erow[i] -= ltd * o.post[m]
			}
		}
		o.post[m] *= tracePost
		if integrate(&o.v[m], current, o.threshold[m]) {
			bits[m] = 1
			o.post[m]++
			// Potentiation: this spike after the presynaptic neurons' recent ones.
			for i, x := range n.pre {
				if x > 1e-3 {
					erow[i] += ltp * x
				}
			}
		}
	}
	return bits
}

// learn turns one reward into weight changes: the reward for cycle c
// scores the motion commanded by cycle c−1 (its trajectory ran until c's
// update), a little by c−2's; both eligibilities, if still kept, move the
// weights by learnRate·(reward − 0.5).
func (n *network) learn(r Reward) {
	value := r.Global
	if v, ok := r.ByLayer[n.conf.Layer]; ok {
		value = v
	}
	c := r.Cycle
	if c <= 0 || c > n.cycle {
		c = n.cycle // no usable cycle number: the latest
	}
	applied := false
	for k := range n.outputs {
		o := &n.outputs[k]
		for lag, share := range [...]float64{1: 1, 2: creditLag2} {
			if share == 0 {
				continue
			}
			slot := (c - lag + 3*creditKeep) % creditKeep
			if c-lag < 1 || o.eligCycle[slot] != c-lag {
				continue
			}
			applied = true
			if n.conf.Learning {
				n.stats.WeightChange += n.applyEligibility(o, o.elig[slot], learnRate*share*(value-0.5))
			}
		}
	}
	if applied {
		n.stats.Rewards++
	} else {
		n.stats.Late++
	}
}

// applyEligibility adds scale·e to o's weights, each population's by its
// share and within [0, share·maxWeight], and returns the sum of the
// changes' magnitudes.
func (n *network) applyEligibility(o *outputState, e []float64, scale float64) float64 {
	var moved float64
	for m := range o.port.N {
		for _, s := range n.sensors {
			lo, hi := m*n.inN+s.offset, m*n.inN+s.offset+s.port.N
			w, ei := o.w[lo:hi], e[lo:hi]
			top := maxWeight * s.scale
			for i, x := range ei {
				if x == 0 {
					continue
				}
				nw := math.Max(0, math.Min(top, w[i]+scale*s.scale*x))
				moved += math.Abs(nw - w[i])
				w[i] = nw
			}
		}
	}
	return moved
}

// learningStats reports the network's learning so far.
func (n *network) learningStats() LearningStats {
	s := n.stats
	var sum float64
	var count int
	for _, o := range n.outputs {
		for _, w := range o.w {
			sum += w
		}
		count += len(o.w)
	}
	if count > 0 {
		s.MeanWeight = sum / float64(count)
	}
	return s
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

// jointDrive is the drive of a joint's population at normalised position x:
// Gaussian tuning curves centred on evenly spaced preferred positions.
func jointDrive(dst []float64, x float64) []float64 {
	width := 1.0 / float64(len(dst)-1)
	for i := range dst {
		d := (x - float64(i)*width) / width
		dst[i] = inputDrive * math.Exp(-d*d/2)
	}
	return dst
}
