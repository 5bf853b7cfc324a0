package main

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/abbridge/ab_bridge/internal/config"
)

type fakeBounder struct {
	mu  sync.Mutex
	set map[string][4]float64
}

func (f *fakeBounder) SetJointBounds(_ context.Context, j string, min, max, vel, acc float64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set[j] = [4]float64{min, max, vel, acc}
	return nil
}

func TestURDFApplier(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	var out bytes.Buffer
	br := &fakeBounder{set: map[string][4]float64{}}
	a := &urdfApplier{ctx: context.Background(), log: slog.New(slog.NewTextHandler(&out, nil)), br: br,
		joints: []config.Joint{{Name: "shoulder", Min: v(-2.9), Max: v(2.9), MaxVelocity: v(4)}, {Name: "elbow"}}}
	a.apply(1, `<robot name="r"><joint name="shoulder" type="revolute"><limit lower="-1" upper="0.3" velocity="1.5"/></joint></robot>`)
	inf := math.Inf(1)
	assert.Equal(t, map[string][4]float64{"shoulder": {-1, 0.3, 1.5, inf}, "elbow": {-inf, inf, inf, inf}}, br.set)
	assert.Contains(t, out.String(), `msg="joint limits applied" joint=shoulder min=-1 max=0.3 max_velocity=1.5 max_acceleration=+Inf from_urdf=min,max,max_velocity`)
	assert.Contains(t, out.String(), `joint=elbow min=-Inf max=+Inf max_velocity=+Inf max_acceleration=+Inf from_urdf="none (not in the URDF)"`)

	out.Reset()
	a.apply(2, `<robot name="r"><joint`)
	assert.Contains(t, out.String(), `msg="robot description not applied: joint limits unchanged"`)
	assert.Equal(t, [4]float64{-1, 0.3, 1.5, inf}, br.set["shoulder"], "a malformed URDF changes nothing")

	out.Reset()
	a.apply(3, `<robot name="r"><joint name="shoulder" type="revolute"><limit lower="1" upper="0"/></joint></robot>`)
	assert.Contains(t, out.String(), `lower 1 is not below upper 0`)
	assert.Equal(t, [4]float64{-2.9, 2.9, 4, inf}, br.set["shoulder"], "an unusable joint keeps the configuration")

	out.Reset()
	a.apply(1, `<robot name="r"/>`)
	assert.Empty(t, out.String(), "an older message arriving late is skipped")
}
