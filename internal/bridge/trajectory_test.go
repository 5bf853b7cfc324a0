package bridge

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// jazzyRefusal is why a joint_trajectory_controller with Jazzy's default
// parameters (ros2_controllers, jazzy branch, validate_trajectory_msg) would
// refuse tr for a controller of joints, or "" when it accepts it. Our header
// stamps are zero (start now), so the stamp rule cannot refuse.
func jazzyRefusal(tr *Trajectory, joints []string) string {
	if len(tr.JointNames) != len(joints) {
		return "joints on incoming trajectory don't match the controller joints"
	}
	if len(tr.Points) == 0 {
		return "empty trajectory"
	}
	known := map[string]bool{}
	for _, j := range joints {
		known[j] = true
	}
	for _, n := range tr.JointNames {
		if !known[n] {
			return "unknown joint " + n
		}
	}
	for _, v := range tr.Points[len(tr.Points)-1].Velocities {
		if math.Abs(v) > 1.1920929e-07 {
			return fmt.Sprintf("velocity of the last point is not zero: %g", v)
		}
	}
	for i, p := range tr.Points {
		if i > 0 && p.TimeFromStart <= tr.Points[i-1].TimeFromStart {
			return fmt.Sprintf("time_from_start not strictly increasing at point %d", i)
		}
		if len(p.Positions) != len(tr.JointNames) {
			return fmt.Sprintf("point %d has %d positions", i, len(p.Positions))
		}
		if len(p.Velocities) != 0 && len(p.Velocities) != len(tr.JointNames) {
			return fmt.Sprintf("point %d has %d velocities", i, len(p.Velocities))
		}
		for _, x := range append(append([]float64{}, p.Positions...), p.Velocities...) {
			if bad(x) {
				return fmt.Sprintf("point %d holds %v", i, x)
			}
		}
	}
	return ""
}

// hermite samples the controller's cubic spline between two points.
func hermite(a, b TrajectoryPoint, j int, s float64) float64 {
	span := (b.TimeFromStart - a.TimeFromStart).Seconds()
	h00, h10 := 2*s*s*s-3*s*s+1, s*s*s-2*s*s+s
	h01, h11 := -2*s*s*s+3*s*s, s*s*s-s*s
	return h00*a.Positions[j] + h10*span*a.Velocities[j] + h01*b.Positions[j] + h11*span*b.Velocities[j]
}

func randomSteps(rng *rand.Rand, gamma, channels int) []spikes.Step {
	var steps []spikes.Step
	for t := range gamma {
		st := spikes.Step{T: t}
		for c := range channels {
			if rng.IntN(3) > 0 {
				st.Deltas = append(st.Deltas, spikes.ChannelDelta{Index: c, Delta: (rng.Float64() - 0.5) * 0.2})
			}
		}
		steps = append(steps, st)
	}
	return steps
}

// TestTrajectoriesMeetTheStockController shapes random cycles from random
// starts, limits included, and checks every trajectory the way a stock
// Jazzy controller does, and that the splines between its points stay
// within the joint limits.
func TestTrajectoriesMeetTheStockController(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, maxPoints := range []int{1, 2, 4, 8, 64} {
		conf := demoConfig(t)
		conf.Trajectory.MaxPoints = maxPoints
		s, err := newShaper(conf, []string{"a", "b"})
		require.NoError(t, err)
		for range 200 {
			base := []float64{rng.Float64()*2 - 1, rng.Float64()*4 - 2}
			tr := s.shape(randomSteps(rng, s.gamma, 2), base, nil)
			require.NotNil(t, tr)
			require.Empty(t, jazzyRefusal(tr, []string{"a", "b"}), "max_points %d", maxPoints)
			assert.LessOrEqual(t, len(tr.Points), maxPoints)
			for k, p := range tr.Points {
				if k > 0 {
					for i := 1; i < 10; i++ {
						x := hermite(tr.Points[k-1], p, 0, float64(i)/10)
						require.True(t, x >= -1-1e-9 && x <= 1+1e-9, "joint a at %g between points %d and %d", x, k-1, k)
					}
				}
			}
		}
	}
}

// TestSteadyMotionDoesNotStopBetweenCycles: a joint the brain drives at a
// constant rate moves at that rate through every moving point, the cycle's
// last included, so the hand-over to the next cycle's trajectory (at the
// cycle's end, before the tail at rest) keeps the speed; only the tail,
// followed when no next trajectory comes, slows it to rest.
func TestSteadyMotionDoesNotStopBetweenCycles(t *testing.T) {
	conf := demoConfig(t)
	conf.Trajectory.MaxPoints = 5
	s, err := newShaper(conf, []string{"a", "b"})
	require.NoError(t, err)
	var steps []spikes.Step
	for k := range s.gamma {
		steps = append(steps, spikes.Step{T: k, Deltas: []spikes.ChannelDelta{{Index: 0, Delta: 0.001}}})
	}
	rate := 0.001 * float64(s.gamma) / conf.Trajectory.CycleDuration.Seconds() // rad/s
	tr := s.shape(steps, []float64{0, 0}, nil)
	require.Len(t, tr.Points, 5)
	for k, p := range tr.Points[:4] {
		assert.InDelta(t, rate, p.Velocities[0], 1e-9, "moving point %d", k)
		assert.Zero(t, p.Velocities[1], "joint b does not move")
	}
	last, rest := tr.Points[3], tr.Points[4]
	assert.Equal(t, conf.Trajectory.CycleDuration, last.TimeFromStart, "the last moving point ends the cycle")
	assert.Equal(t, conf.Trajectory.CycleDuration+conf.Trajectory.StopTime, rest.TimeFromStart)
	assert.InDelta(t, last.Positions[0]+rate*conf.Trajectory.StopTime.Seconds()/2, rest.Positions[0], 1e-12,
		"a constant deceleration to rest over stop_time")
	for i := 1; i < 10; i++ {
		a, b := hermite(last, rest, 0, float64(i-1)/10), hermite(last, rest, 0, float64(i)/10)
		assert.Greater(t, b, a, "the tail slows down but never turns back")
	}
}

func TestNonzeroVelocityAtEndWhenTheControllerAllowsIt(t *testing.T) {
	conf := demoConfig(t)
	conf.Trajectory.AllowNonzeroVelocityAtEnd = true
	s, err := newShaper(conf, []string{"a", "b"})
	require.NoError(t, err)
	steps := []spikes.Step{{T: s.gamma - 1, Deltas: []spikes.ChannelDelta{{Index: 0, Delta: 0.1}}}}
	tr := s.shape(steps, []float64{0, 0}, nil)
	require.Len(t, tr.Points, conf.Trajectory.MaxPoints, "no point at rest")
	assert.Equal(t, conf.Trajectory.CycleDuration, tr.Points[len(tr.Points)-1].TimeFromStart)
	assert.NotZero(t, tr.Points[len(tr.Points)-1].Velocities[0])
	assert.NotEmpty(t, jazzyRefusal(tr, []string{"a", "b"}), "a stock controller would refuse it")
}

func TestHoldIsAtRest(t *testing.T) {
	s, err := newShaper(demoConfig(t), []string{"a", "b"})
	require.NoError(t, err)
	tr := s.hold([]float64{0.25, -3})
	assert.Empty(t, jazzyRefusal(tr, []string{"a", "b"}))
	assert.Equal(t, []TrajectoryPoint{{Positions: []float64{0.25, -3}, Velocities: []float64{0, 0}, TimeFromStart: 40 * time.Millisecond}}, tr.Points)
}
