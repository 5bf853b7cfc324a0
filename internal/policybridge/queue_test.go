package policybridge

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func values(q *queue) [][]float64 {
	var out [][]float64
	for _, a := range q.actions {
		out = append(out, a.values)
	}
	return out
}

func TestQueueMerge(t *testing.T) {
	for _, tc := range []struct {
		name             string
		queued, rows     [][]float64
		stale            int
		want             [][]float64
		dropped, blended int
	}{
		{"into an empty queue", nil, [][]float64{{1}, {2}}, 0, [][]float64{{1}, {2}}, 0, 0},
		{"stale head dropped", nil, [][]float64{{1}, {2}, {3}}, 2, [][]float64{{3}}, 2, 0},
		{"all stale", [][]float64{{9}}, [][]float64{{1}, {2}}, 5, [][]float64{{9}}, 2, 0},
		{"overlap blended, rest appended", [][]float64{{10}, {20}}, [][]float64{{0}, {0}, {0}, {30}}, 1,
			[][]float64{{3}, {6}, {30}}, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q queue
			for _, v := range tc.queued {
				q.actions = append(q.actions, queued{values: v})
			}
			dropped, blended := q.merge(tc.rows, 1, tc.stale, 0.3)
			assert.InDeltaSlice(t, flat(tc.want), flat(values(&q)), 1e-12)
			assert.Equal(t, tc.dropped, dropped)
			assert.Equal(t, tc.blended, blended)
		})
	}
}

func flat(rows [][]float64) []float64 {
	var out []float64
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestQueuePop(t *testing.T) {
	var q queue
	q.merge([][]float64{{1}, {2}, {3}}, 1, 0, 0)
	got := q.pop(2)
	assert.Len(t, got, 2)
	q.merge([][]float64{{7}, {8}}, 2, 0, 0) // must not write over what pop returned
	assert.Equal(t, []float64{1}, got[0].values)
	assert.Equal(t, []float64{2}, got[1].values)
	assert.Equal(t, [][]float64{{7}, {8}}, values(&q))
	assert.Len(t, q.pop(5), 2)
	assert.Empty(t, q.pop(1))
}
