package bridge

import (
	"log/slog"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/spikes"
	"github.com/abbridge/ab_bridge/internal/testsupport"
)

func limitedShaper(t *testing.T, vel, acc float64) (*shaper, Config) {
	t.Helper()
	conf := demoConfig(t)
	conf.Trajectory.MaxPoints = 5
	for i := range conf.Joints {
		conf.Joints[i].MaxVelocity, conf.Joints[i].MaxAcceleration = ptr(vel), ptr(acc)
	}
	s, err := newShaper(conf, []string{"a", "b"})
	require.NoError(t, err)
	return s, conf
}

func push(gamma int, delta float64) []spikes.Step {
	var steps []spikes.Step
	for k := range gamma {
		steps = append(steps, spikes.Step{T: k, Deltas: []spikes.ChannelDelta{{Index: 0, Delta: delta}, {Index: 1, Delta: -delta}}})
	}
	return steps
}

// TestLimitsBoundEveryPoint: a brain that asks for far more than the
// joints may do gets points within the velocity limit whose speed grows
// within the acceleration limit from the measured velocity, and every
// clamp is counted.
func TestLimitsBoundEveryPoint(t *testing.T) {
	const vmax, amax = 2.0, 100.0
	s, conf := limitedShaper(t, vmax, amax)
	dt := conf.Trajectory.CycleDuration.Seconds() / 4
	tr := s.shape(push(s.gamma, 0.05), []float64{0, 0}, []float64{0, 0}) // 0.4 rad per 10 ms asked
	require.NotNil(t, tr)
	assert.Empty(t, jazzyRefusal(tr, []string{"a", "b"}))
	prev, slope := 0.0, 0.0
	for k, p := range tr.Points[:4] {
		v := (p.Positions[0] - prev) / dt
		assert.LessOrEqual(t, math.Abs(v), vmax+1e-9, "point %d", k)
		assert.LessOrEqual(t, math.Abs(v-slope), amax*dt+1e-9, "point %d speeds up within the acceleration limit", k)
		assert.InDelta(t, -p.Positions[0], p.Positions[1], 1e-12, "joint b mirrors a")
		prev, slope = p.Positions[0], v
	}
	assert.InDelta(t, 1.0, tr.Points[0].Positions[0]/(amax*dt*dt), 1e-9, "from rest, the first step is a·dt²")
	assert.Equal(t, 8, s.clamped.total(), "every moving point of both joints was clamped")
}

// TestAccelerationLimitCarriesTheMeasuredVelocity: an arm measured moving
// at +1.5 rad/s that the brain wants still cannot stop at once: it slows
// within the acceleration limit, and the tail to rest is stretched so its
// deceleration stays within the limit too.
func TestAccelerationLimitCarriesTheMeasuredVelocity(t *testing.T) {
	const amax = 20.0
	s, conf := limitedShaper(t, 2, amax)
	steps := []spikes.Step{{T: 0, Deltas: []spikes.ChannelDelta{{Index: 0, Delta: 1e-9}}}}
	tr := s.shape(steps, []float64{0, 0}, []float64{1.5, 0})
	require.NotNil(t, tr)
	last, rest := tr.Points[3], tr.Points[4]
	// Slopes 1.3, 1.1, 0.9, 0.7 rad/s over 10 ms steps: 0.04 rad on.
	assert.InDelta(t, 0.040, last.Positions[0], 1e-9, "still moving forward, slowing by a·dt a step")
	v := last.Velocities[0]
	assert.Greater(t, v, 0.0)
	tail := rest.TimeFromStart - last.TimeFromStart
	assert.GreaterOrEqual(t, tail, conf.Trajectory.StopTime)
	assert.LessOrEqual(t, v/tail.Seconds(), amax+1e-6, "the stop decelerates within the limit")
	assert.Zero(t, rest.Velocities[0])
}

func TestLimitedTrajectoriesMeetTheStockController(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s, _ := limitedShaper(t, 1.5, 30)
	for range 300 {
		base := []float64{rng.Float64()*2 - 1, rng.Float64()*2 - 1}
		vel := []float64{rng.Float64()*3 - 1.5, rng.Float64()*3 - 1.5}
		tr := s.shape(randomSteps(rng, s.gamma, 2), base, vel)
		require.NotNil(t, tr)
		require.Empty(t, jazzyRefusal(tr, []string{"a", "b"}))
		for k, p := range tr.Points {
			for j, v := range p.Velocities {
				require.LessOrEqual(t, math.Abs(v), 1.5+1e-9, "point %d joint %d", k, j)
			}
		}
	}
}

func TestLimitClampsAreCounted(t *testing.T) {
	conf := demoConfig(t)
	conf.Joints[0].MaxVelocity = ptr(0.5)
	b, _, _, done := started(t, conf)
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
	b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: []any{map[string]any{"t": 0.0, "id": "ma", "bits": bits(4, 2, 0)}}})
	require.True(t, (<-done).Published)
	assert.Positive(t, b.Stats().LimitClamps)
}

// TestStepNamesTheLimit: step says which limit changed a request — the last
// one applied that moved it — and none for a request within every limit,
// including one exactly at a limit.
func TestStepNamesTheLimit(t *testing.T) {
	inf := math.Inf(1)
	const dt = 0.01
	for _, tc := range []struct {
		name            string
		l               limits
		from, to, slope float64
		wantPos         float64
		wantBy          limitKind
	}{
		{"within", limits{-1, 1, 10, 1000}, 0, 0.01, 0, 0.01, noLimit},
		{"exactly at the speed limit", limits{-1, 1, 2, inf}, 0, 0.02, 0, 0.02, noLimit},
		{"acceleration", limits{-1, 1, 10, 100}, 0, 0.05, 0, 0.01, accelerationLimit},
		{"velocity", limits{-1, 1, 2, inf}, 0, 0.05, 0, 0.02, velocityLimit},
		{"acceleration, then velocity", limits{-1, 1, 2, 100}, 0, 0.05, 3, 0.02, velocityLimit},
		{"velocity, then position", limits{-1, 0.005, 2, inf}, 0, 0.05, 0, 0.005, positionLimit},
		{"position only", limits{-1, 0.005, inf, inf}, 0, 0.05, 0, 0.005, positionLimit},
		{"below the minimum", limits{-0.002, 1, inf, inf}, 0, -0.05, 0, -0.002, positionLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pos, slope, by := tc.l.step(tc.from, tc.to, tc.slope, dt)
			assert.InDelta(t, tc.wantPos, pos, 1e-12)
			assert.InDelta(t, (pos-tc.from)/dt, slope, 1e-9)
			assert.Equal(t, limitNames[tc.wantBy], limitNames[by])
		})
	}
}

// TestLimitClampWarningNamesTheLimit: the warning says which limits the
// cycle's clamps came from, the numbers adding up to its clamps.
func TestLimitClampWarningNamesTheLimit(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vel, acc float64
		want     string
	}{
		{"a low acceleration limit", 100, 1, "acceleration"},
		{"a low speed limit", 0.5, 1e6, "velocity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := demoConfig(t)
			for i := range conf.Joints {
				conf.Joints[i].MaxVelocity, conf.Joints[i].MaxAcceleration = ptr(tc.vel), ptr(tc.acc)
			}
			var logs testsupport.SyncBuffer
			conf.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			b, _, _, done := started(t, conf)
			b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0, 0}})
			var rows []any // every timestep asks both joints to move on
			for k := range 8 {
				for _, id := range []string{"ma", "mb"} {
					rows = append(rows, map[string]any{"t": float64(k), "id": id, "bits": bits(4, 2, 0)})
				}
			}
			b.OnCycle(brain.CycleUpdate{Cycle: 1, Outputs: rows})
			require.True(t, (<-done).Published)
			m := regexp.MustCompile(`clamps=(\d+) by="(\w+) (\d+)"`).FindStringSubmatch(logs.String())
			require.NotNil(t, m, "a limit_clamps warning naming one limit: %s", logs.String())
			assert.Equal(t, tc.want, m[2])
			assert.Equal(t, m[1], m[3], "every clamp is of that limit")
			assert.NotEqual(t, "0", m[1])
		})
	}
}
