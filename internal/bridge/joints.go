package bridge

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// jointSlot is what is known of one configured joint.
type jointSlot struct {
	pos, vel    float64
	hasVel      bool
	stamp       time.Time // sample time of pos
	received    time.Time // when it arrived here, for max_age
	prevPos     float64
	prevStamp   time.Time
	valid       bool
	hasPrevious bool
}

// jointStore keeps the latest sample of each configured joint. Messages may
// carry a subset of joints (robots that publish per joint group): each joint
// is updated on its own. The ROS callback writes, the bridge goroutine reads.
type jointStore struct {
	mu    sync.Mutex
	index map[string]int
	slots []jointSlot
}

func newJointStore(names []string) *jointStore {
	s := &jointStore{index: make(map[string]int, len(names)), slots: make([]jointSlot, len(names))}
	for i, n := range names {
		s.index[n] = i
	}
	return s
}

// update stores a sample. A malformed message is rejected whole, with the
// reason, and nothing of it is stored.
func (s *jointStore) update(m JointSample, now time.Time) error {
	if len(m.Positions) != len(m.Names) {
		return fmt.Errorf("joint_states has %d names but %d positions", len(m.Names), len(m.Positions))
	}
	if len(m.Velocities) != 0 && len(m.Velocities) != len(m.Names) {
		return fmt.Errorf("joint_states has %d names but %d velocities", len(m.Names), len(m.Velocities))
	}
	for i, n := range m.Names {
		if _, ok := s.index[n]; !ok {
			continue
		}
		if bad(m.Positions[i]) {
			return fmt.Errorf("joint_states position of %q is %v", n, m.Positions[i])
		}
	}
	stamp := m.Stamp
	if stamp.IsZero() {
		stamp = now
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, n := range m.Names {
		j, ok := s.index[n]
		if !ok {
			continue
		}
		sl := &s.slots[j]
		if sl.valid {
			sl.prevPos, sl.prevStamp, sl.hasPrevious = sl.pos, sl.stamp, true
		}
		sl.pos, sl.stamp, sl.received, sl.valid = m.Positions[i], stamp, now, true
		sl.hasVel = len(m.Velocities) > 0 && !bad(m.Velocities[i])
		if sl.hasVel {
			sl.vel = m.Velocities[i]
		}
	}
	return nil
}

// positions copies the latest position of every configured joint into dst;
// ok is false until every joint has been seen.
func (s *jointStore) positions(dst []float64) (ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.slots {
		if !s.slots[i].valid {
			return false
		}
		dst[i] = s.slots[i].pos
	}
	return true
}

// sample copies the latest position of every configured joint into dst
// and returns when the oldest of them arrived; ok is false until every
// joint has been seen.
func (s *jointStore) sample(dst []float64) (oldest time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.slots {
		sl := &s.slots[i]
		if !sl.valid {
			return time.Time{}, false
		}
		dst[i] = sl.pos
		if i == 0 || sl.received.Before(oldest) {
			oldest = sl.received
		}
	}
	return oldest, true
}

// velocities copies the best known velocity of every joint into dst.
func (s *jointStore) velocities(dst []float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.slots {
		dst[i] = s.slots[i].velocity()
	}
}

// joint returns a copy of one joint's slot.
func (s *jointStore) joint(i int) jointSlot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.slots[i]
}

// velocity is the reported velocity, else the finite difference over the
// sample stamps, else 0.
func (sl *jointSlot) velocity() float64 {
	if sl.hasVel {
		return sl.vel
	}
	if sl.hasPrevious {
		if dt := sl.stamp.Sub(sl.prevStamp).Seconds(); dt > 0 {
			return (sl.pos - sl.prevPos) / dt
		}
	}
	return 0
}

func bad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
