package localbrain

import (
	"math"
	"testing"

	"github.com/abbridge/ab_bridge/internal/sensor"
)

// BenchmarkNetworkStep measures one cycle of the demo network (gamma 64
// timesteps) on the inputs a reaching run gives it: both joints' drives
// from jointDrive at a position that moves every cycle, the shoulder
// feedback raster of a deviation, and the reward for the previous cycle,
// so that with learning on every step also moves the weights. One op is
// one cycle; cycles/s/core is what one core could step of this network.
//
//   - step: net.step alone, what the requirement's per-cycle step time is.
//   - cycle: net.step plus the rest of a cycle's in-brain work outside the
//     socket (learningStats, updatePayload), as runCycle does it.
//
// The camera variants drive the demo's 64-neuron overhead_cam population
// with a decoded mid-gray frame; without it the population hears noise
// only, as a run without a camera chunk does.
func BenchmarkNetworkStep(b *testing.B) {
	p, err := demoProject()
	if err != nil {
		b.Fatal(err)
	}
	gamma := p.Contract.Constants.Gamma
	camera, err := imageDrive64(tinyJPEG(b, 128))
	if err != nil {
		b.Fatal(err)
	}
	for _, work := range []string{"step", "cycle"} {
		for _, learning := range []bool{true, false} {
			for _, cam := range []bool{false, true} {
				name := work + "/learning=" + onOff(learning) + "/camera=" + onOff(cam)
				b.Run(name, func(b *testing.B) {
					benchCycles(b, p, gamma, learning, cam, camera, work == "cycle")
				})
			}
		}
	}
}

func onOff(v bool) string {
	if v {
		return "on"
	}
	return "off"
}

func benchCycles(b *testing.B, p *project, gamma int, learning, cam bool, camera []float64, whole bool) {
	net := newNetwork(p.networkConf(gamma, learning, 1))
	fbN := feedbackSize(p, "shoulder_fb")
	// The inputs of 100 cycles, built before the clock runs: a slow sweep
	// of both joints and a deviation that follows the shoulder.
	const distinct = 100
	type inputs struct {
		drives map[string][]float64
		raster map[string][]float32
	}
	ins := make([]inputs, distinct)
	for k := range ins {
		x := 0.5 + 0.3*math.Sin(2*math.Pi*float64(k)/distinct)
		y := 0.5 + 0.3*math.Cos(2*math.Pi*float64(k)/distinct)
		d := map[string][]float64{
			"shoulder_pos": jointDrive(make([]float64, inputNeurons), x),
			"elbow_pos":    jointDrive(make([]float64, inputNeurons), y),
		}
		if cam {
			d[DemoCameraInput] = camera
		}
		dev := make([]float64, gamma)
		for i := range dev {
			dev[i] = x - 0.5
		}
		raw, _, err := sensor.AppendRaster(nil, dev, gamma, fbN)
		if err != nil {
			b.Fatal(err)
		}
		ins[k] = inputs{drives: d, raster: map[string][]float32{"shoulder_fb": float32s(raw)}}
	}
	runID := "demo-1-bench"
	rewards := []Reward{{}}
	c := 0
	b.ReportAllocs()
	for b.Loop() {
		c++
		in := ins[c%distinct]
		// The reward for the previous cycle arrives before this one, as
		// the bridge sends it on the previous cycle:update.
		var rw []Reward
		if c > 1 {
			rewards[0] = Reward{Cycle: c - 1, Global: 0.4 + 0.2*float64(c%2)}
			rw = rewards
		}
		rows := net.step(cycleInput{Cycle: c, Drives: in.drives, Rasters: in.raster, Rewards: rw})
		if whole {
			_ = net.learningStats()
			_ = updatePayload(runID, c, rows)
		}
	}
	if learning && net.stats.Rewards == 0 {
		b.Fatal("no reward reached the weights")
	}
	if ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N); ns > 0 {
		b.ReportMetric(1e9/ns, "cycles/s/core")
		b.ReportMetric(ns/float64(gamma), "ns/timestep")
	}
}
