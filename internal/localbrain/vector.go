package localbrain

import (
	"errors"
	"fmt"
	"math"
)

// vectorDrive is the current into a sensory neuron whose input value is 1:
// the same as a proprioceptive neuron on its preferred position, so a
// population given as plain values weighs on the outputs as a joint does.
const vectorDrive = inputDrive

// Population is one named group of neurons of a VectorNet.
type Population struct {
	ID string
	N  int
}

// VectorConfig shapes a VectorNet: sensory populations that take a value in
// [0, 1] per neuron, output populations, and the timesteps of one Step.
type VectorConfig struct {
	Steps    int // timesteps per Step
	Sensors  []Population
	Outputs  []Population
	Learning bool // false: rewards are counted but change no weight
	Seed     uint64
}

// VectorRow is the spikes of one output population at one timestep of a
// Step: the indices of its neurons that fired.
type VectorRow struct {
	T       int
	ID      string
	Spiking []int
}

// VectorNet is the local brain's network (network.go, doc.go) fed with
// plain per-neuron values instead of protocol chunks, for servers that
// speak another protocol than the platform's (internal/localdevice). It
// is not safe for concurrent use: one goroutine owns it.
type VectorNet struct {
	net    *network
	steps  int
	sizes  map[string]int
	drives map[string][]float64
	step   int
}

// NewVectorNet builds the network; every sensory population feeds every
// output population through the plastic motor layer.
func NewVectorNet(c VectorConfig) (*VectorNet, error) {
	if c.Steps <= 0 {
		return nil, fmt.Errorf("vector net: %d timesteps per step, want at least 1", c.Steps)
	}
	if len(c.Outputs) == 0 {
		return nil, errors.New("vector net: no output population")
	}
	v := &VectorNet{steps: c.Steps, sizes: map[string]int{}, drives: map[string][]float64{}}
	conf := networkConf{Gamma: c.Steps, Learning: c.Learning, Seed: c.Seed}
	for _, p := range c.Sensors {
		if err := v.add(p); err != nil {
			return nil, err
		}
		conf.Sensors = append(conf.Sensors, sensorPort{ID: p.ID, N: p.N})
		v.drives[p.ID] = make([]float64, p.N)
	}
	for _, p := range c.Outputs {
		if err := v.add(p); err != nil {
			return nil, err
		}
		conf.Outputs = append(conf.Outputs, outputPort(p))
	}
	v.net = newNetwork(conf)
	return v, nil
}

func (v *VectorNet) add(p Population) error {
	if p.ID == "" || p.N <= 0 {
		return fmt.Errorf("vector net: population %q of %d neurons", p.ID, p.N)
	}
	if _, dup := v.sizes[p.ID]; dup {
		return fmt.Errorf("vector net: population %q twice", p.ID)
	}
	v.sizes[p.ID] = p.N
	return nil
}

// Sense sets the values a sensory population is driven by from the next
// Step on, until the next Sense: one value in [0, 1] per neuron (values
// outside are clamped). A population never sensed stays silent but for its
// background noise.
func (v *VectorNet) Sense(id string, values []float64) error {
	d, ok := v.drives[id]
	if !ok {
		return fmt.Errorf("vector net: no sensory population %q", id)
	}
	if len(values) != len(d) {
		return fmt.Errorf("vector net: %d values for %q of %d neurons", len(values), id, len(d))
	}
	for i, x := range values {
		d[i] = vectorDrive * math.Max(0, math.Min(1, x))
	}
	return nil
}

// Step runs Steps timesteps on the sensed values after applying rewards
// (each in [0, 1], 0.5 neutral), which score the motion of the steps before
// this one as the local brain's learn:reward does. It returns a row per
// output population and timestep that has spikes, in time order.
func (v *VectorNet) Step(rewards []float64) []VectorRow {
	in := cycleInput{Cycle: v.step + 1, Drives: v.drives}
	for _, r := range rewards {
		in.Rewards = append(in.Rewards, Reward{Global: math.Max(0, math.Min(1, r))})
	}
	v.step++
	var rows []VectorRow
	for _, r := range v.net.step(in) {
		var spiking []int
		for i, b := range r.Bits {
			if b != 0 {
				spiking = append(spiking, i)
			}
		}
		if len(spiking) > 0 {
			rows = append(rows, VectorRow{T: r.T, ID: r.ID, Spiking: spiking})
		}
	}
	return rows
}

// Steps is the timesteps of one Step.
func (v *VectorNet) Steps() int { return v.steps }

// Stats reports the network's learning so far.
func (v *VectorNet) Stats() LearningStats { return v.net.learningStats() }
