package policybridge

// queue holds the actions still to play, one per 1/fps, the head next.
// Each remembers the chunk it came from, for the latency figure.
type queue struct {
	actions []queued
}

type queued struct {
	values []float64
	chunk  int64
}

// merge takes a new chunk whose first stale actions were due before now:
// they are dropped; the rest lines up with the queue's head. Where both
// have an action, the two are blended (old·w + new·(1−w)); beyond the
// queue's end the new actions are appended. It returns how many it
// dropped and blended.
func (q *queue) merge(rows [][]float64, chunk int64, stale int, wOld float64) (dropped, blended int) {
	if stale >= len(rows) {
		return len(rows), 0
	}
	rows = rows[stale:]
	for j, r := range rows {
		if j < len(q.actions) {
			old := q.actions[j].values
			mix := make([]float64, len(r))
			for d := range r {
				mix[d] = wOld*old[d] + (1-wOld)*r[d]
			}
			q.actions[j] = queued{values: mix, chunk: chunk}
			blended++
			continue
		}
		q.actions = append(q.actions, queued{values: r, chunk: chunk})
	}
	return stale, blended
}

// pop takes up to n actions from the head.
func (q *queue) pop(n int) []queued {
	n = min(n, len(q.actions))
	out := q.actions[:n:n]
	q.actions = q.actions[n:]
	return out
}

func (q *queue) len() int { return len(q.actions) }

func (q *queue) clear() { q.actions = nil }
