package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSim(t *testing.T) {
	tests := []struct {
		name      string
		sets      []time.Time
		wantNow   time.Time
		wantKnown bool
		wantFirst []bool
	}{
		{name: "unknown before the first /clock", wantNow: time.Time{}, wantKnown: false},
		{name: "sim time 0 is a time", sets: []time.Time{time.Unix(0, 0)}, wantNow: time.Unix(0, 0), wantKnown: true, wantFirst: []bool{true}},
		{name: "the last message, not extrapolated", sets: []time.Time{time.Unix(5, 0), time.Unix(7, 500)},
			wantNow: time.Unix(7, 500), wantKnown: true, wantFirst: []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sim
			var firsts []bool
			for _, at := range tt.sets {
				firsts = append(firsts, s.Set(at))
			}
			assert.Equal(t, tt.wantFirst, firsts)
			assert.True(t, tt.wantNow.Equal(s.Now()), "now %v, want %v", s.Now(), tt.wantNow)
			assert.Equal(t, tt.wantKnown, Known(&s))
		})
	}
}

func TestWallKnown(t *testing.T) {
	assert.True(t, Known(Wall{}))
	assert.WithinDuration(t, time.Now(), Wall{}.Now(), time.Second)
}
