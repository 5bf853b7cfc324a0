package policybridge

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/roboactions"
)

// infer asks for a chunk whenever play says the queue runs low (and at
// once at start), one request at a time.
func (r *Runner) infer(ctx context.Context, robot Robot) error {
	r.askForMore()
	backoff := time.Duration(0)
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.need:
		}
		if backoff > 0 && !sleep(ctx, backoff) {
			return nil
		}
		if wait := r.conf.MinInterval - time.Since(last); !last.IsZero() && wait > 0 && !sleep(ctx, wait) {
			return nil
		}
		if wait := r.untilSend(time.Now()); wait > 0 && !sleep(ctx, wait) {
			return nil
		}
		last = time.Now()
		ok, err := r.request(ctx, robot)
		if err != nil {
			return err
		}
		if ok {
			backoff = 0
			continue
		}
		backoff = min(max(2*backoff, 100*time.Millisecond), 2*time.Second)
		r.askForMore() // try again after the backoff
	}
}

// untilSend is how long to wait before observing, so that the answer
// lands just before play's next tick: played at once there, from an
// observation as fresh as it can be, instead of a cycle later from one a
// cycle old. The answer time is learned (answered); nothing is waited for
// while the arm is idle (a chunk then plays on arrival) or before the
// first answer.
func (r *Runner) untilSend(now time.Time) time.Duration {
	r.mu.Lock()
	idle := r.idle
	r.mu.Unlock()
	next := r.nextTick.Load()
	if idle || next == 0 || r.answerEst == 0 {
		return 0
	}
	lead := r.answerEst + 2*r.answerDev + answerMargin
	wait := time.Unix(0, next).Sub(now) - lead
	return max(0, min(wait, r.Cycle()))
}

// answerMargin is added to the learned answer time: scheduling jitter.
const answerMargin = 3 * time.Millisecond

// answered learns how long answers take (a moving mean and mean
// deviation, as TCP estimates its round trip).
func (r *Runner) answered(d time.Duration) {
	if r.answerEst == 0 {
		r.answerEst, r.answerDev = d, d/2
		return
	}
	diff := d - r.answerEst
	r.answerEst += diff / 8
	if diff < 0 {
		diff = -diff
	}
	r.answerDev += (diff - r.answerDev) / 4
}

// request sends one observation and queues the answer. It returns false
// when nothing was queued (not ready, a failure, a malformed answer), and
// an error only when the run must end.
func (r *Runner) request(ctx context.Context, robot Robot) (bool, error) {
	obs, why := r.observe(ctx, robot)
	if why != "" {
		// Nothing plays meanwhile, so no cycle says why: this line does.
		if n := r.stats.notReady.Add(1); n == 1 || time.Since(r.lastNotReady) > 10*time.Second {
			r.lastNotReady = time.Now()
			r.log.Warn("observation not sent (logged again at most every 10 s)", "why", why, "so_far", n)
		}
		return false, nil
	}
	at := time.Now()
	var ans any
	var err error
	if r.conf.SelectAction {
		ans, err = r.conf.Policy.SelectAction(ctx, obs)
	} else {
		ans, err = r.conf.Policy.PredictActionChunk(ctx, obs)
	}
	r.stats.requests.Add(1)
	if err == nil {
		// At most a cycle: an answer that took the client's retries says
		// nothing about the next one, and must not push requests a cycle early
		// for the next eight.
		r.answered(min(time.Since(at), r.Cycle()))
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		if roboactions.IsFatal(err) {
			return false, fmt.Errorf("roboactions: the policy refused the node: %w", err)
		}
		r.failed(robot, err)
		return false, nil
	}
	rows, err := roboactions.Chunk(ans)
	if err == nil && len(rows[0]) != len(r.channels) {
		err = fmt.Errorf("actions of %d values, action.dims names %d", len(rows[0]), len(r.channels))
	}
	if err != nil {
		if n := r.stats.malformed.Add(1); n == 1 || time.Since(r.lastMalformed) > 10*time.Second {
			r.lastMalformed = time.Now()
			r.log.Warn("policy answer not used (logged again at most every 10 s)", "err", err, "so_far", n)
		}
		return false, nil
	}
	r.accepted(robot)
	if r.stats.lost.Swap(false) {
		r.stats.changed(nil)
		r.log.Info("policy server answering again")
	} else if r.stats.chunks.Load() == 0 {
		r.stats.changed(nil) // the first answer
	}
	r.take(rows, at, time.Now())
	return true, nil
}

// failed holds the arm once per outage and forgets the queue: actions
// planned from an old observation must not play after a long silence.
func (r *Runner) failed(robot Robot, err error) {
	r.stats.failures.Add(1)
	if r.stats.lost.Swap(true) {
		return
	}
	r.stats.changed(err)
	r.mu.Lock()
	r.q.clear()
	r.mu.Unlock()
	r.stats.holds.Add(1)
	r.log.Warn("policy server failing: holding the arm until it answers", "err", err)
	robot.OnDeviceHold("policy server: " + err.Error())
}

// take queues a chunk observed at obsAt and arrived at now: the actions
// due before now are stale.
func (r *Runner) take(rows [][]float64, obsAt, now time.Time) {
	stale := int(math.Floor(now.Sub(obsAt).Seconds() * r.conf.FPS))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.chunks++
	dropped, blended := r.q.merge(rows, r.chunks, stale, r.conf.BlendOld)
	r.obsAt[r.chunks] = obsAt
	r.last = len(rows)
	r.stats.chunks.Add(1)
	r.stats.stale.Add(int64(dropped))
	r.stats.blended.Add(int64(blended))
	if r.idle && r.q.len() > 0 {
		r.idle = false
		select {
		case r.kick <- now:
		default:
		}
	}
}

// observe builds the observation the plan describes; why says what is
// missing when it cannot be sent.
func (r *Runner) observe(ctx context.Context, robot Robot) (map[string]any, string) {
	p := r.conf.Plan
	obs := map[string]any{"task": r.Task()}
	if p.StateKey != "" {
		joints := make([]float64, len(r.conf.Joints))
		if why, ok := robot.SensedJoints(joints); !ok {
			return nil, why
		}
		state := make([]float32, len(p.StateJoints))
		for i, name := range p.StateJoints {
			v, ok := r.position(robot, joints, name)
			if !ok {
				return nil, fmt.Sprintf("%s not measured lately", name)
			}
			state[i] = float32(v)
		}
		obs[p.StateKey] = ndarray.FromFloat32([]int{len(state)}, state)
	}
	if len(p.Images) == 0 {
		return obs, ""
	}
	samples := make([]bridge.DeviceSample, len(p.Images))
	for i, im := range p.Images {
		samples[i].ID = im.Input
	}
	if err := robot.DeviceSamples(ctx, samples); err != nil {
		return nil, "camera frames: " + err.Error()
	}
	for i, im := range p.Images {
		if samples[i].Err != nil {
			return nil, fmt.Sprintf("camera %s: %v", im.Input, samples[i].Err)
		}
		px, err := chw(samples[i].Data, im.C, im.H, im.W)
		if err != nil {
			return nil, fmt.Sprintf("camera %s: %v", im.Input, err)
		}
		obs[im.Key] = ndarray.FromFloat32([]int{im.C, im.H, im.W}, px)
	}
	return obs, ""
}

func (r *Runner) position(robot Robot, joints []float64, name string) (float64, bool) {
	for i, j := range r.conf.Joints {
		if j == name {
			return joints[i], true
		}
	}
	if name == r.conf.Gripper && name != "" {
		return robot.SensedGripper()
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// accepted counts the camera frames of an answered observation as sent.
func (r *Runner) accepted(robot Robot) {
	if len(r.conf.Plan.Images) == 0 {
		return
	}
	ids := make([]string, len(r.conf.Plan.Images))
	for i, im := range r.conf.Plan.Images {
		ids[i] = im.Input
	}
	robot.DeviceAccepted(ids)
}
