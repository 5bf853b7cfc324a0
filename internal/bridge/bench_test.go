package bridge

import (
	"fmt"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/spikes/spikestest"
)

// discardRobot publishes nothing: the benchmark measures the bridge alone.
type discardRobot struct{ points int }

func (d *discardRobot) PublishTrajectory(t *Trajectory) error { d.points += len(t.Points); return nil }

// BenchmarkHandleCycle is the node's share of the cycle path without ROS:
// one cycle:update (64 timesteps × 8 populations × 32 bits) parsed, decoded
// and shaped into a 6-joint trajectory, on the bridge goroutine.
func BenchmarkHandleCycle(b *testing.B) {
	cyc := spikestest.NewCycle(64, 8, 32, 1)
	ct := &contract.Contract{Constants: contract.Constants{Gamma: 64, OutputWindowN: 32, FeedbackN: 128, FeedbackT: 64}}
	var joints []config.Joint
	names := make([]string, 6)
	for i := range names {
		names[i] = fmt.Sprintf("j%d", i)
		joints = append(joints, config.Joint{Name: names[i]})
	}
	for i := range 8 {
		ct.IO.Outputs = append(ct.IO.Outputs, contract.Port{ID: fmt.Sprintf("P%d", i)})
	}
	br, err := New(Config{Joints: joints, Mapping: cyc.Mapping, Contract: ct,
		Trajectory: config.Trajectory{CycleDuration: 50 * time.Millisecond, MaxPoints: 8, PublishIdle: true}})
	if err != nil {
		b.Fatal(err)
	}
	robot := &discardRobot{}
	br.cmd = robot
	br.OnJointState(JointSample{Names: names, Positions: make([]float64, 6)})
	update := &brain.CycleUpdate{Cycle: 1, Outputs: cyc.Outputs}
	b.ReportAllocs()
	for b.Loop() {
		br.handleCycle(update)
	}
	if robot.points == 0 {
		b.Fatal("no trajectory was shaped")
	}
}
