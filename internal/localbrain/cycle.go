package localbrain

import "time"

// cycleLoop runs r's cycles until it stops: every CycleInterval (in
// lock-step: as soon as the previous cycle is sent), if anyone is in the
// run's room, ask for inputs, wait for them or the deadline, step the
// network and send its output spikes. It runs apart from the join handler
// because the reference SDK attaches its io:need handler only after
// emitting run:join.
func (s *Server) cycleLoop(r *run, net *network) {
	defer close(r.done)
	tick := time.NewTicker(s.conf.CycleInterval)
	defer tick.Stop()
	for {
		if !r.lockStep || !s.hasMembers(r) {
			select {
			case <-r.stopCh:
				return
			case <-tick.C:
			}
		}
		if !s.hasMembers(r) {
			continue
		}
		if !s.runCycle(r, net) {
			return
		}
	}
}

// runCycle runs one cycle; false means the run stopped meanwhile.
func (s *Server) runCycle(r *run, net *network) bool {
	cycle, allIn := r.openCycle()
	wait := s.deadline(r)
	s.emit(r, "io:need", s.needPayload(r, cycle, wait))
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	select {
	case <-allIn:
	case <-deadline.C:
	case <-r.stopCh:
		r.closeCycle()
		return false
	}
	in := r.closeCycle()
	in.Cycle = cycle
	rows := net.step(in)
	r.setLearningStats(net.learningStats())
	s.emit(r, "cycle:update", updatePayload(r.id, cycle, rows))
	r.cycleEmitted()
	return true
}

// deadline is how long r's cycles wait for their needs.
func (s *Server) deadline(r *run) time.Duration {
	if r.lockStep {
		return s.conf.LockStepDeadline
	}
	return s.conf.NeedDeadline
}

func (s *Server) needPayload(r *run, cycle int, deadline time.Duration) map[string]any {
	needs := make([]any, 0, len(r.needs))
	for _, n := range r.needs {
		needs = append(needs, map[string]any{"id": n.ID, "kind": n.Kind})
	}
	return map[string]any{
		"runId":      r.id,
		"cycle":      cycle,
		"needs":      needs,
		"deadlineMs": deadline.Milliseconds(),
	}
}

// updatePayload is a cycle:update in the object-row form: one row per
// timestep and output population, t counted within the cycle.
func updatePayload(runID string, cycle int, rows []outputRow) map[string]any {
	out := make([]any, 0, len(rows))
	for _, row := range rows {
		out = append(out, map[string]any{"t": row.T, "id": row.ID, "bits": row.Bits})
	}
	return map[string]any{"runId": runID, "cycle": cycle, "outputs": out}
}
