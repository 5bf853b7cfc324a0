package bridge

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// shaper turns one cycle's decoded deltas into a joint trajectory that
// starts from the last measured positions. Its buffers are reused from cycle
// to cycle: the cycle path allocates little.
//
// A stock joint_trajectory_controller (Jazzy defaults) refuses a trajectory
// whose last point moves, yet the arm must not stop at every cycle's end.
// So the cycle's motion points carry the velocity the brain asks for, and
// one more point, stop_time after the cycle, brings each joint to rest with
// a constant deceleration. The next cycle's trajectory replaces this one
// before that tail is reached, so the tail is followed only when no next
// trajectory comes (a lost brain): then the arm stops smoothly.
type shaper struct {
	dec     *spikes.Decoder
	parsed  spikes.RowBuffer
	decoded spikes.Buffer
	jointOf []int    // decoder channel index → joint index, -1 for none
	unused  []string // mapped channels no joint takes
	gamma   int
	conf    config.Trajectory
	moving  int  // motion points per trajectory, before the point at rest
	tail    bool // a point at rest follows the moving ones
	limits  []limits
	slope   []float64   // per joint, the speed the points so far move at
	clamped clampCounts // limit clamps of the last shaped cycle, by limit
	deltas  []float64   // gamma × joints, per-timestep sums
	traj    Trajectory
	points  []TrajectoryPoint
	values  []float64 // backing store of every point's positions and velocities
	start   []float64 // the measured positions a cycle starts from
	vel     []float64 // and the measured velocities
	// A device's decoded steps (device.go): channel name → decoder index,
	// and the steps' reused buffer.
	channelIndex map[string]int
	deviceBuf    []spikes.Step
}

func newShaper(conf Config, names []string) (*shaper, error) {
	outputs := map[string]bool{}
	for _, o := range conf.Contract.IO.Outputs {
		outputs[o.ID] = true
	}
	s := &shaper{gamma: conf.Contract.Constants.Gamma, conf: conf.Trajectory}
	for _, m := range conf.Mapping {
		if !outputs[m.NodeID] {
			return nil, fmt.Errorf("bridge: mapping node_id %q is not an output of the brain's contract", m.NodeID)
		}
	}
	var err error
	if s.dec, err = spikes.NewDecoder(conf.Mapping); err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	for _, ch := range s.dec.Channels() {
		idx, ok := strings.CutPrefix(ch, spikes.JointChannelPrefix)
		i, err := strconv.Atoi(idx)
		if !ok || err != nil || i < 0 || i >= len(names) {
			s.unused = append(s.unused, ch)
			i = -1
		}
		s.jointOf = append(s.jointOf, i)
	}
	nj := len(names)
	for _, j := range conf.Joints {
		s.limits = append(s.limits, newLimits(j.Min, j.Max, j.MaxVelocity, j.MaxAcceleration))
	}
	s.slope = make([]float64, nj)
	s.moving = min(conf.Trajectory.MaxPoints, s.gamma)
	if !conf.Trajectory.AllowNonzeroVelocityAtEnd && s.moving > 1 {
		s.moving-- // room for the point at rest within max_points
		s.tail = true
	}
	n := s.moving + 1
	s.deltas = make([]float64, s.gamma*nj)
	s.start, s.vel = make([]float64, nj), make([]float64, nj)
	s.values = make([]float64, 2*n*nj)
	s.points = make([]TrajectoryPoint, n)
	for p := range n {
		s.points[p] = TrajectoryPoint{Positions: s.values[2*p*nj : (2*p+1)*nj], Velocities: s.values[(2*p+1)*nj : (2*p+2)*nj]}
	}
	s.traj.JointNames = names
	return s, nil
}

// shape builds the trajectory for one cycle from its decoded steps; base and
// vel are the last measured position and velocity of each joint (vel may be
// nil: at rest). It returns nil when the cycle moves nothing and idle cycles
// are not published. s.clamped counts the point limits it applied.
func (s *shaper) shape(steps []spikes.Step, base, vel []float64) *Trajectory {
	s.clamped = clampCounts{}
	if !s.accumulate(steps, len(base)) {
		if !s.conf.PublishIdle {
			return nil
		}
		return s.hold(base)
	}
	n := s.moving
	dt := s.conf.CycleDuration.Seconds() / float64(n)
	s.integrate(base, vel, n, dt)
	s.setVelocities(base, n, dt)
	for p := range n {
		// Exact multiples: the last moving point ends the cycle to the ns.
		s.points[p].TimeFromStart = s.conf.CycleDuration * time.Duration(p+1) / time.Duration(n)
	}
	s.traj.Points = s.points[:n]
	switch {
	case s.tail:
		s.comeToRest(n)
		s.traj.Points = s.points[:n+1]
	case !s.conf.AllowNonzeroVelocityAtEnd:
		clear(s.points[n-1].Velocities) // max_points 1: the one point is at rest
	}
	return &s.traj
}

// accumulate sums the cycle's deltas per timestep and joint; it reports
// whether any joint moves.
func (s *shaper) accumulate(steps []spikes.Step, nj int) bool {
	clear(s.deltas)
	moved := false
	for _, st := range steps {
		if st.T < 0 {
			continue
		}
		k := st.T % s.gamma // t may count from the run's start
		for _, d := range st.Deltas {
			if j := s.jointOf[d.Index]; j >= 0 {
				s.deltas[k*nj+j] += d.Delta
				moved = moved || d.Delta != 0
			}
		}
	}
	return moved
}

// integrate resamples the gamma timesteps onto n points dt apart: point p
// is the point before plus every delta of its share of the cycle, within
// the joint limits (position, then the speed and its change from the
// measured velocity on).
func (s *shaper) integrate(base, vel []float64, n int, dt float64) {
	nj := len(base)
	for j := range nj {
		s.slope[j] = 0
		if vel != nil && !bad(vel[j]) {
			s.slope[j] = vel[j]
		}
	}
	k := 0
	for p := range n {
		prev := base
		if p > 0 {
			prev = s.points[p-1].Positions
		}
		pos := s.points[p].Positions
		copy(pos, prev)
		for end := (p + 1) * s.gamma / n; k < end; k++ {
			for j := range nj {
				pos[j] += s.deltas[k*nj+j]
			}
		}
		for j := range nj {
			var by limitKind
			pos[j], s.slope[j], by = s.limits[j].step(prev[j], pos[j], s.slope[j], dt)
			s.clamped[by]++ // noLimit's count is never read
		}
	}
}

// setVelocities gives each point the velocity through it, so that the
// controller's cubic splines pass the points without stopping: the mean of
// the slopes on either side, limited as Fritsch and Carlson do for monotone
// cubics (zero at a turn, at most three times the smaller slope). Then no
// spline segment goes beyond its two end points, so none leaves the joint
// limits the points were clamped to. The last moving point keeps its
// incoming slope: comeToRest continues it.
func (s *shaper) setVelocities(base []float64, n int, dt float64) {
	for p := range n {
		prev := base
		if p > 0 {
			prev = s.points[p-1].Positions
		}
		pos, vel := s.points[p].Positions, s.points[p].Velocities
		for j := range pos {
			in := (pos[j] - prev[j]) / dt
			if p+1 == n {
				vel[j] = in
				continue
			}
			out := (s.points[p+1].Positions[j] - pos[j]) / dt
			vel[j] = monotoneSlope(in, out)
		}
	}
}

func monotoneSlope(in, out float64) float64 {
	if in*out <= 0 {
		return 0
	}
	v := (in + out) / 2
	lim := 3 * math.Min(math.Abs(in), math.Abs(out))
	return math.Copysign(math.Min(math.Abs(v), lim), v)
}

// comeToRest appends the point at rest after point n-1: each joint keeps
// decelerating at a constant rate for stop_time, covering v·T/2, and stops
// there (within its limits; a joint that would pass a limit arrives slower).
func (s *shaper) comeToRest(n int) {
	last, rest := s.points[n-1], s.points[n]
	stop := s.conf.StopTime
	for j, v := range last.Velocities {
		stop = max(stop, s.limits[j].stopTime(v)) // decelerate within every joint's limit
	}
	T := stop.Seconds()
	for j := range last.Positions {
		p, v := last.Positions[j], last.Velocities[j]
		end := s.limits[j].clampPosition(p + v*T/2)
		// A cubic from (p, v) to (end, 0) over T decelerates linearly, and
		// stays within [p, end], only while v·T/2 = end − p; at a limit
		// the velocity shrinks to fit the distance left.
		last.Velocities[j] = 2 * (end - p) / T
		rest.Positions[j], rest.Velocities[j] = end, 0
	}
	rest.TimeFromStart = last.TimeFromStart + stop
	s.points[n] = rest
}

// hold is a one-point trajectory that keeps the joints where they are.
func (s *shaper) hold(base []float64) *Trajectory {
	pt := s.points[0]
	for j := range base {
		pt.Positions[j] = s.limits[j].clampPosition(base[j])
		pt.Velocities[j] = 0
	}
	pt.TimeFromStart = s.conf.CycleDuration
	s.points[0] = pt
	s.traj.Points = s.points[:1]
	return &s.traj
}

// handleCycle decodes one cycle:update and publishes its trajectory.
func (b *Bridge) handleCycle(c *brain.CycleUpdate) CycleReport {
	b.stats.cycles.Add(1)
	rows, skipped := c.Rows, []spikes.RowError(nil)
	if rows == nil {
		rows, skipped = b.shaper.parsed.Parse(c.Outputs)
	}
	if len(skipped) > 0 {
		b.stats.malformedRows.Add(int64(len(skipped)))
		b.warnf("malformed_rows", "cycle:update rows skipped", "cycle", c.Cycle, "count", len(skipped), "first", skipped[0].Error())
	}
	report := CycleReport{Cycle: c.Cycle, Rows: len(rows)}
	if !b.mayMove(c.Cycle) {
		return report
	}
	steps := b.shaper.dec.DecodeInto(&b.shaper.decoded, rows)
	return b.publishSteps(c.Cycle, steps, report)
}

// mayMove says whether a cycle may command the arm: the link is up, the
// bridge is not paused, and every joint was measured lately (stale
// joint_states hold the arm). On true, the shaper's start and velocities
// hold the measurement the cycle starts from.
func (b *Bridge) mayMove(cycle int64) bool {
	if b.hold.linkDown {
		// Queued before the link was lost: the arm is held now.
		b.stats.cyclesWhileLost.Add(1)
		return false
	}
	if b.paused.on.Load() {
		b.stats.cyclesWhilePaused.Add(1)
		return false
	}
	oldest, ok := b.joints.sample(b.shaper.start)
	if !ok {
		b.stats.noJointState.Add(1)
		b.warnf("no_joint_state", "cycle not published: no joint_states for every joint yet", "cycle", cycle)
		return false
	}
	if why := b.stale(oldest); why != "" {
		b.stats.staleJointStates.Add(1)
		b.warnf("stale_joint_states", "cycle not published: "+why, "cycle", cycle)
		b.holdArm(why)
		return false
	}
	b.hold.held = false
	b.joints.velocities(b.shaper.vel)
	return true
}

// publishSteps shapes a cycle's decoded steps from the measurement mayMove
// took, commands the gripper and the base, and publishes the trajectory.
func (b *Bridge) publishSteps(cycle int64, steps []spikes.Step, report CycleReport) CycleReport {
	traj := b.shaper.shape(steps, b.shaper.start, b.shaper.vel)
	b.command(cycle, steps) // the gripper and the base (commands.go)
	if n := b.shaper.clamped.total(); n > 0 {
		b.stats.limitClamps.Add(int64(n))
		b.warnf("limit_clamps", "commanded points clamped to the joint limits", "cycle", cycle, "clamps", n, "by", &b.shaper.clamped)
	}
	if traj == nil {
		return report
	}
	if err := b.cmd.PublishTrajectory(traj); err != nil {
		b.stats.failedPublishes.Add(1)
		b.warnf("publish", "trajectory not published", "cycle", cycle, "err", err)
		return report
	}
	b.stats.trajectories.Add(1)
	report.Published = true
	report.Target = traj.Points[len(traj.Points)-1].Positions
	return report
}
