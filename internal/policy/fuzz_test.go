package policy

import (
	"log/slog"
	"math"
	"os"
	"testing"
)

// Whatever a policy file holds, loading it gives an error or a policy whose
// outputs stay in range; nothing panics.
func FuzzParseReward(f *testing.F) {
	c := contractForFuzz(f)
	f.Add(RewardTemplate(c))
	if b, err := os.ReadFile("../../config/policies/" + RewardFileName); err == nil {
		f.Add(b)
	}
	f.Add([]byte("signals: {q: {joint: j}}\nglobal: {combine: min, components: [{expression: \"q / (q - 1)\"}, {topic: {topic: /s, timeout: 0s}}]}\nlayers: {L1: {components: [{joint_target: {target: {j: 1}}}]}}\nmodulation: {enabled: true}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseReward("r.yaml", data, c, quiet)
		if err != nil {
			return
		}
		for k, x := range []float64{0, 1, math.NaN(), -1e300, 1e300} {
			in := at(int64(k), map[string]float64{"j": x})
			in.Scalars = map[string]Scalar{"/s": {Value: x, At: in.Time}}
			r := p.Compute(in)
			for _, v := range append([]float64{r.Global}, r.ByLayer["L1"], r.ByLayer["L2"]) {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("reward %v out of [0, 1] for %q", v, data)
				}
			}
		}
	})
}

func FuzzParseDeviation(f *testing.F) {
	c := contractForFuzz(f)
	f.Add(DeviationTemplate(c))
	f.Add([]byte("signals: {a: {topic: /a, type: std_msgs/Float64MultiArray}}\nfeedback: {fbA: {expression: \"a * t / T\"}, fbB: {joint_error: {joint: j, target: 1, range: 0.5, shape: ramp}}}\n"))
	f.Add([]byte("feedback: {fbA: {topic: {topic: /a, fit: hold}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseDeviation("d.yaml", data, c, quiet)
		if err != nil {
			return
		}
		for k, x := range []float64{0, 1, math.NaN(), -1e300} {
			in := at(int64(k), map[string]float64{"j": x})
			in.Arrays = map[string]Array{"/a": {Values: []float64{x, -x, 2}, At: in.Time}}
			for id, dev := range p.Compute(in, 5) {
				if len(dev) != 5 {
					t.Fatalf("feedback %s: %d values, want 5", id, len(dev))
				}
				for _, v := range dev {
					if !(v >= -1 && v <= 1) {
						t.Fatalf("deviation %v out of [-1, 1] for %q", v, data)
					}
				}
			}
		}
	})
}

func contractForFuzz(f *testing.F) *contractT {
	f.Helper()
	return twoLayersTB(f)
}

// quiet drops the problem logs: fuzz inputs fail on purpose.
var quiet = WithLogger(slog.New(slog.DiscardHandler))
