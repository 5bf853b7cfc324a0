package integration

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/ndarray"
	"github.com/abbridge/ab_bridge/internal/roboactions"
)

type ndFixture struct {
	Name   string `json:"name"`
	Hex    string `json:"hex"`
	Arrays []struct {
		Key    string    `json:"key"`
		DType  string    `json:"dtype"`
		Shape  []int     `json:"shape"`
		Values []float64 `json:"values"`
	} `json:"arrays"`
}

// TestNDArrayParityWithTheSDK: observations the node writes are the bytes
// the RoboActions SDK 0.1.2's packb writes for the same arrays and task;
// answers the SDK's serializer packs (float32 chunks, float64, int64,
// float16, big-endian, a map with an action, a tensor map, numpy scalars)
// read back to the SDK's values.
func TestNDArrayParityWithTheSDK(t *testing.T) {
	cmd := exec.Command(roboActionsSDKPython(t), filepath.Join(repoRoot(t), "test", "peers", "ndarray_fixtures.py"))
	out, err := cmd.Output()
	require.NoError(t, err)
	fixtures := map[string]ndFixture{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<20), 64<<20) // the 3x224x224 image's line is ~5 MB
	for sc.Scan() {
		var f ndFixture
		require.NoError(t, json.Unmarshal(sc.Bytes(), &f))
		fixtures[f.Name] = f
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 13, len(fixtures), "fixtures from the SDK")
	sdkBytes := func(name string) []byte {
		b, err := hex.DecodeString(fixtures[name].Hex)
		require.NoError(t, err)
		return b
	}

	for _, name := range []string{"obs_state_task", "obs_image", "obs_big_image", "obs_dim_300"} {
		t.Run(name, func(t *testing.T) {
			f := fixtures[name]
			want := sdkBytes(name)
			v, err := ndarray.Unmarshal(want)
			require.NoError(t, err)
			obs := map[string]any{"task": v.(map[string]any)["task"]}
			for _, a := range f.Arrays {
				f32 := make([]float32, len(a.Values))
				for i, x := range a.Values {
					f32[i] = float32(x)
				}
				obs[a.Key] = ndarray.FromFloat32(a.Shape, f32)
			}
			got, err := ndarray.Marshal(obs)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "%s: %d bytes from the SDK, %d from the node; first difference at %d",
				name, len(want), len(got), firstDiff(want, got))
		})
	}
	t.Run("scalar", func(t *testing.T) {
		got, err := ndarray.Marshal(ndarray.Scalar{DType: "<f4", Value: 1.5})
		require.NoError(t, err)
		assert.Equal(t, sdkBytes("scalar_f4"), got)
	})

	for _, name := range []string{"ans_chunk", "ans_f64", "ans_i64", "ans_f16", "ans_be", "ans_map", "ans_tensor"} {
		t.Run(name, func(t *testing.T) {
			f := fixtures[name]
			v, err := ndarray.Unmarshal(sdkBytes(name))
			require.NoError(t, err)
			if m, ok := v.(map[string]any); ok {
				v = m["action"]
			}
			a, ok := v.(ndarray.Array)
			require.True(t, ok, "%T", v)
			require.Len(t, f.Arrays, 1)
			assert.Equal(t, f.Arrays[0].DType, a.DType)
			assert.Equal(t, f.Arrays[0].Shape, a.Shape)
			vals, err := a.Float64s()
			require.NoError(t, err)
			assert.Equal(t, f.Arrays[0].Values, vals, "exact values")
			rows, err := roboactions.Chunk(v)
			require.NoError(t, err)
			assert.Equal(t, len(vals), len(rows)*len(rows[0]))
		})
	}
	t.Run("scalars in a list", func(t *testing.T) {
		v, err := ndarray.Unmarshal(sdkBytes("ans_scalar_list"))
		require.NoError(t, err)
		assert.Equal(t, []any{0.25, ndarray.Scalar{DType: "<i8", Value: int64(-3)}, 1.0}, v)
		rows, err := roboactions.Chunk(v)
		require.NoError(t, err)
		assert.Equal(t, [][]float64{{0.25, -3, 1}}, rows)
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
