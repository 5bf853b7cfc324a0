package policy

// How an array of any length is fitted to T timesteps.
const (
	fitResample = "resample" // linear interpolation, first and last values kept at t=0 and t=T-1
	fitHold     = "hold"     // first T values; a shorter array is padded with its last value
	fitZeros    = "zeros"    // first T values; a shorter array is padded with zeros
)

// fit writes src, fitted to len(out) timesteps, into out. src is not empty.
func fit(src, out []float64, mode string) {
	T := len(out)
	if mode != fitResample {
		n := copy(out, src)
		pad := 0.0
		if mode == fitHold {
			pad = src[len(src)-1]
		}
		for i := n; i < T; i++ {
			out[i] = pad
		}
		return
	}
	if len(src) == 1 || T == 1 {
		for i := range out {
			out[i] = src[0]
		}
		return
	}
	scale := float64(len(src)-1) / float64(T-1)
	for i := range out {
		x := float64(i) * scale
		j := int(x)
		if j >= len(src)-1 {
			out[i] = src[len(src)-1]
			continue
		}
		frac := x - float64(j)
		out[i] = src[j] + frac*(src[j+1]-src[j])
	}
}
