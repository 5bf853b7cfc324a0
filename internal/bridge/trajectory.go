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
type shaper struct {
	dec      *spikes.Decoder
	parsed   spikes.RowBuffer
	decoded  spikes.Buffer
	jointOf  []int    // decoder channel index → joint index, -1 for none
	unused   []string // mapped channels no joint takes
	gamma    int
	conf     config.Trajectory
	min, max []float64
	deltas   []float64 // gamma × joints, per-timestep sums
	traj     Trajectory
	points   []TrajectoryPoint
	values   []float64 // backing store of every point's positions and velocities
	start    []float64 // the measured positions a cycle starts from
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
	s.min, s.max = make([]float64, nj), make([]float64, nj)
	for i, j := range conf.Joints {
		s.min[i], s.max[i] = math.Inf(-1), math.Inf(1)
		if j.Min != nil {
			s.min[i] = *j.Min
		}
		if j.Max != nil {
			s.max[i] = *j.Max
		}
	}
	n := min(conf.Trajectory.MaxPoints, s.gamma)
	s.deltas = make([]float64, s.gamma*nj)
	s.start = make([]float64, nj)
	s.values = make([]float64, 2*n*nj)
	s.points = make([]TrajectoryPoint, n)
	s.traj.JointNames = names
	return s, nil
}

// shape builds the trajectory for one cycle from its decoded steps; base is
// the last measured position of each joint. It returns nil when the cycle
// moves nothing and idle cycles are not published.
func (s *shaper) shape(steps []spikes.Step, base []float64) *Trajectory {
	nj := len(base)
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
	if !moved {
		if !s.conf.PublishIdle {
			return nil
		}
		return s.hold(base)
	}
	n := len(s.points)
	step := s.conf.CycleDuration / time.Duration(n)
	k := 0
	for p := range n {
		pos, vel := s.values[2*p*nj:(2*p+1)*nj], s.values[(2*p+1)*nj:(2*p+2)*nj]
		prev := base
		if p > 0 {
			prev = s.points[p-1].Positions
			copy(pos, prev)
		} else {
			copy(pos, base)
		}
		for end := (p + 1) * s.gamma / n; k < end; k++ {
			for j := range nj {
				pos[j] += s.deltas[k*nj+j]
			}
		}
		for j := range nj {
			pos[j] = math.Min(math.Max(pos[j], s.min[j]), s.max[j])
			vel[j] = (pos[j] - prev[j]) / step.Seconds()
		}
		s.points[p] = TrajectoryPoint{Positions: pos, Velocities: vel, TimeFromStart: step * time.Duration(p+1)}
	}
	s.traj.Points = s.points
	return &s.traj
}

// hold is a one-point trajectory that keeps the joints where they are.
func (s *shaper) hold(base []float64) *Trajectory {
	nj := len(base)
	pos, vel := s.values[:nj], s.values[nj:2*nj]
	for j := range nj {
		pos[j] = math.Min(math.Max(base[j], s.min[j]), s.max[j])
		vel[j] = 0
	}
	s.points[0] = TrajectoryPoint{Positions: pos, Velocities: vel, TimeFromStart: s.conf.CycleDuration}
	s.traj.Points = s.points[:1]
	return &s.traj
}

// handleCycle decodes one cycle:update and publishes its trajectory.
func (b *Bridge) handleCycle(c *brain.CycleUpdate) {
	b.stats.cycles.Add(1)
	rows, skipped := b.shaper.parsed.Parse(c.Outputs)
	if len(skipped) > 0 {
		b.stats.malformedRows.Add(int64(len(skipped)))
		b.warnf("malformed_rows", "cycle:update rows skipped", "cycle", c.Cycle, "count", len(skipped), "first", skipped[0].Error())
	}
	report := CycleReport{Cycle: c.Cycle, Rows: len(rows)}
	defer func() {
		if b.conf.OnCycleDone != nil {
			b.conf.OnCycleDone(report)
		}
	}()
	base := b.shaper.start
	if !b.joints.positions(base) {
		b.stats.noJointState.Add(1)
		b.warnf("no_joint_state", "cycle not published: no joint_states for every joint yet", "cycle", c.Cycle)
		return
	}
	traj := b.shaper.shape(b.shaper.dec.DecodeInto(&b.shaper.decoded, rows), base)
	if traj == nil {
		return
	}
	if err := b.cmd.PublishTrajectory(traj); err != nil {
		b.stats.failedPublishes.Add(1)
		b.warnf("publish", "trajectory not published", "cycle", c.Cycle, "err", err)
		return
	}
	b.stats.trajectories.Add(1)
	report.Published = true
	report.Target = traj.Points[len(traj.Points)-1].Positions
}
