package primalux

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncode(t *testing.T) {
	one := []float64{1}
	for _, tc := range []struct {
		name   string
		kind   string
		n      int
		mode   Mode
		signal []float64
		sc     Scale
		want   []float64
		err    string
	}{
		{name: "positive bump", n: 10, mode: ModePositive, signal: []float64{35}, sc: Scale{Vmax: f(100), Radius: 1}, want: []float64{0, 0, 1, 1, 1, 0, 0, 0, 0, 0}},
		{name: "positive at vmax clips to the last neuron", n: 10, mode: ModePositive, signal: []float64{100}, sc: Scale{Vmax: f(100), Radius: 1}, want: []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 1}},
		{name: "positive below 0 truncates to the first", n: 10, mode: ModePositive, signal: []float64{-5}, sc: Scale{Vmax: f(100), Radius: 1}, want: []float64{1, 1, 0, 0, 0, 0, 0, 0, 0, 0}},
		{name: "positive NaN is silent", n: 4, mode: ModePositive, signal: []float64{nan()}, sc: Scale{Vmax: f(1), Radius: 1}, want: []float64{0, 0, 0, 0}},
		{name: "positive NaN with infinite vmax is silent (SDK's check order)", n: 4, mode: ModePositive, signal: []float64{nan()}, sc: Scale{Vmax: f(inf(1))}, want: []float64{0, 0, 0, 0}},
		{name: "positive vmax 0", n: 4, mode: ModePositive, signal: one, sc: Scale{Vmax: f(0)}, err: "vmax must not be 0"},
		{name: "positive infinite vmax", n: 4, mode: ModePositive, signal: one, sc: Scale{Vmax: f(inf(1))}, err: "vmax must be finite"},
		{name: "positive overflow", n: 4, mode: ModePositive, signal: []float64{1e308}, sc: Scale{Vmax: f(1e-10)}, err: "overflows"},
		{name: "positive without vmax", n: 4, mode: ModePositive, signal: one, err: "requires vmax"},
		{name: "positive of one neuron", n: 1, mode: ModePositive, signal: []float64{0}, sc: Scale{Vmax: f(1)}, want: []float64{1}},
		{name: "positive of unknown size", n: 0, mode: ModePositive, signal: []float64{0}, sc: Scale{Vmax: f(1)}, want: []float64{1}},
		{name: "cumulative", n: 5, mode: ModeCumulative, signal: []float64{0.5}, sc: Scale{Vmax: f(1)}, want: []float64{1, 1, 1, 0, 0}},
		{name: "cumulative empty signal is 0", n: 3, mode: ModeCumulative, signal: nil, sc: Scale{Vmax: f(1)}, want: []float64{1, 0, 0}},
		{name: "ranged middle", n: 8, mode: ModeRanged, signal: []float64{0}, sc: Scale{Vmin: f(-1), Vmax: f(1), Radius: 1}, want: []float64{0, 0, 0, 1, 1, 1, 0, 0}},
		{name: "ranged radius 0", n: 8, mode: ModeRanged, signal: []float64{0}, sc: Scale{Vmin: f(-1), Vmax: f(1)}, want: []float64{0, 0, 0, 0, 1, 0, 0, 0}},
		{name: "ranged negative radius is empty", n: 4, mode: ModeRanged, signal: []float64{0}, sc: Scale{Vmin: f(-1), Vmax: f(1), Radius: -1}, want: []float64{0, 0, 0, 0}},
		{name: "ranged huge radius fills", n: 4, mode: ModeRanged, signal: []float64{0}, sc: Scale{Vmin: f(-1), Vmax: f(1), Radius: math.MaxInt}, want: []float64{1, 1, 1, 1}},
		{name: "ranged reversed limits", n: 4, mode: ModeRanged, signal: []float64{0.9}, sc: Scale{Vmin: f(1), Vmax: f(-1)}, want: []float64{1, 0, 0, 0}},
		{name: "ranged equal limits", n: 4, mode: ModeRanged, signal: one, sc: Scale{Vmin: f(1), Vmax: f(1)}, err: "must not be equal"},
		{name: "ranged infinite value is silent", n: 3, mode: ModeRanged, signal: []float64{inf(-1)}, sc: Scale{Vmin: f(0), Vmax: f(1)}, want: []float64{0, 0, 0}},
		{name: "ranged infinite limit", n: 3, mode: ModeRanged, signal: one, sc: Scale{Vmin: f(0), Vmax: f(inf(1))}, err: "must be finite"},
		{name: "ranged overflowing span", n: 3, mode: ModeRanged, signal: []float64{1.7e308}, sc: Scale{Vmin: f(-1.7e308), Vmax: f(1.7e308)}, err: "overflows"},
		{name: "ranged without vmin", n: 3, mode: ModeRanged, signal: one, sc: Scale{Vmax: f(1)}, err: "requires vmin and vmax"},
		{name: "signed low end", n: 8, mode: ModeSigned, signal: []float64{-2}, sc: Scale{Absmax: f(2), Radius: 1}, want: []float64{1, 1, 0, 0, 0, 0, 0, 0}},
		{name: "signed high end", n: 8, mode: ModeSigned, signal: []float64{2}, sc: Scale{Absmax: f(2), Radius: 1}, want: []float64{0, 0, 0, 0, 0, 0, 1, 1}},
		{name: "signed absmax 0", n: 8, mode: ModeSigned, signal: one, sc: Scale{Absmax: f(0)}, err: "absmax must not be 0"},
		{name: "signed without absmax", n: 8, mode: ModeSigned, signal: one, err: "requires absmax"},
		{name: "vector pads", n: 4, mode: ModeVector, signal: []float64{0.1, 0.2}, want: []float64{0.1, 0.2, 0, 0}},
		{name: "vector cuts", n: 2, mode: ModeVector, signal: []float64{1, 2, 3}, want: []float64{1, 2}},
		{name: "vector of unknown size", n: 0, mode: ModeVector, signal: []float64{1, 2, 3}, want: []float64{1, 2, 3}},
		{name: "binary", n: 4, mode: ModeBinary, signal: []float64{0.5, -1, 0}, want: []float64{1, 0, 0, 0}},
		{name: "reward through Encode", n: 4, mode: ModeReward, signal: []float64{0.5}, want: []float64{1, 1, 0, 0}},
		{name: "default for proximity is positive", kind: "Proximity", n: 4, signal: []float64{0.3}, sc: Scale{Vmax: f(1), Radius: 1}, want: []float64{1, 1, 1, 0}},
		{name: "default for proprioception is signed", kind: "proprioception", n: 4, signal: one, err: "requires absmax"},
		{name: "default for a design's Input is vector", kind: "Input", n: 2, signal: []float64{0.5}, want: []float64{0.5, 0}},
		{name: "unknown mode", n: 2, mode: "gray_jpeg", signal: one, err: `unsupported encoder mode "gray_jpeg"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(Input{ID: "in", Kind: tc.kind, N: tc.n}, tc.signal, tc.mode, tc.sc)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.Contains(t, err.Error(), "in: ")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRewardVector(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    float64
		n    int
		on   int
	}{
		{"half to even down", 0.25, 10, 2},
		{"half to even up", 0.35, 10, 4},
		{"tiny reward still one neuron", 0.01, 10, 1},
		{"zero", 0, 10, 0},
		{"negative clamps to zero", -3, 10, 0},
		{"above one clamps", 2, 10, 10},
		{"NaN is full (Python's min and max)", nan(), 10, 10},
		{"unknown size, positive", 0.5, 0, 1},
		{"unknown size, zero", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RewardVector(tc.m, tc.n)
			size := max(tc.n, 1)
			require.Len(t, got, size)
			want := make([]float64, size)
			for i := range tc.on {
				want[i] = 1
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestJointScale(t *testing.T) {
	mode, sc := JointScale(-1.5, 2.5, 1)
	assert.Equal(t, ModeRanged, mode)
	assert.Equal(t, Scale{Vmin: f(-1.5), Vmax: f(2.5), Radius: 1}, sc)
	for _, limits := range [][2]float64{{0, 0}, {1, -1}, {inf(-1), inf(1)}, {nan(), 1}} {
		mode, sc := JointScale(limits[0], limits[1], 2)
		assert.Equal(t, ModeSigned, mode, "%v", limits)
		assert.Equal(t, Scale{Absmax: f(math.Pi), Radius: 2}, sc)
	}
	v, err := Encode(Input{ID: "elbow", N: 5}, []float64{0.5}, ModeRanged, Scale{Vmin: f(-1.5), Vmax: f(2.5), Radius: 0})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0, 1, 0, 0}, v, "(0.5+1.5)/4·5 = 2.5 → neuron 2")
}
