package reach

import (
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
)

// arm is the kinematic arm: the bridge's Commander and its joint_states.
// The bridge goroutine publishes to it, the session's advances it.
type arm struct {
	names      []string
	sample     time.Duration // when a trajectory is sampled: the cycle duration
	feed       func(bridge.JointSample)
	onMove     func() // before each state is published
	showCamera func() // the camera's one frame, to the bridge

	mu       sync.Mutex
	pos, vel []float64
	next     *bridge.Trajectory // published, not yet executed
	moves    int
}

func newArm(names []string, start []float64, sample time.Duration) *arm {
	return &arm{names: names, sample: sample, pos: append([]float64(nil), start...), vel: make([]float64, len(start))}
}

// publishState hands the arm's state to the bridge as a joint_states sample.
func (a *arm) publishState() {
	a.mu.Lock()
	m := bridge.JointSample{Names: a.names, Positions: append([]float64(nil), a.pos...),
		Velocities: append([]float64(nil), a.vel...), Stamp: time.Now()}
	a.mu.Unlock()
	a.feed(m)
}

// PublishTrajectory keeps t: it runs when the next cycle's needs come
// (advance), as a real arm runs a trajectory until the next one arrives.
func (a *arm) PublishTrajectory(t *bridge.Trajectory) error {
	a.mu.Lock()
	a.next = copyTrajectory(t)
	a.mu.Unlock()
	return nil
}

// advance runs the kept trajectory for one cycle and publishes the state
// it leaves the arm in; without one the arm stays.
func (a *arm) advance() {
	a.mu.Lock()
	if a.next != nil {
		a.pos, a.vel = sampleAt(a.next, a.sample, a.pos)
		a.next = nil
		a.moves++
	}
	a.mu.Unlock()
	if a.onMove != nil {
		a.onMove()
	}
	a.publishState()
}

func (a *arm) PublishGripper(float64) error    { return nil }
func (a *arm) PublishTwist(bridge.Twist) error { return nil }

func (a *arm) state() (pos []float64, moves int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]float64(nil), a.pos...), a.moves
}

func copyTrajectory(t *bridge.Trajectory) *bridge.Trajectory {
	c := &bridge.Trajectory{JointNames: append([]string(nil), t.JointNames...)}
	for _, p := range t.Points {
		c.Points = append(c.Points, bridge.TrajectoryPoint{Positions: append([]float64(nil), p.Positions...),
			Velocities: append([]float64(nil), p.Velocities...), TimeFromStart: p.TimeFromStart})
	}
	return c
}

// sampleAt is t's state at time at after its start: linear between its
// points, from the current positions before the first, the last point's
// after the end.
func sampleAt(t *bridge.Trajectory, at time.Duration, from []float64) (pos, vel []float64) {
	n := len(from)
	pos, vel = append([]float64(nil), from...), make([]float64, n)
	prevT, prevP, prevV := time.Duration(0), from, make([]float64, n)
	for _, p := range t.Points {
		if len(p.Positions) != n {
			continue
		}
		pv := p.Velocities
		if len(pv) != n {
			pv = make([]float64, n)
		}
		if p.TimeFromStart >= at {
			span := float64(p.TimeFromStart - prevT)
			f := 1.0
			if span > 0 {
				f = float64(at-prevT) / span
			}
			for i := range n {
				pos[i] = prevP[i] + f*(p.Positions[i]-prevP[i])
				vel[i] = prevV[i] + f*(pv[i]-prevV[i])
			}
			return pos, vel
		}
		prevT, prevP, prevV = p.TimeFromStart, p.Positions, pv
	}
	copy(pos, prevP)
	copy(vel, prevV)
	return pos, vel
}
