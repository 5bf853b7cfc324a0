package sensor

// resizer box-filters planes to a new size, keeping its scratch between
// frames. Each output pixel is the mean of the source pixels that map to it:
// source rows and columns are split into runs of near-equal length and,
// when shrinking, every source pixel counts exactly once (area averaging).
// Growing repeats pixels.
type resizer struct {
	acc      []uint64
	xlo, xhi []int
}

func (r *resizer) resize(buf []byte, p plane, w, h int) plane {
	ch := p.format.size
	out := plane{pix: grow(buf, w*h*ch), w: w, h: h, pitch: w * ch, format: p.format}
	r.columns(p.w, w)
	if cap(r.acc) < w*ch {
		r.acc = make([]uint64, w*ch)
	}
	acc := r.acc[:w*ch]
	for y := range h {
		y0, y1 := span(y, p.h, h)
		clear(acc)
		for sy := y0; sy < y1; sy++ {
			r.addRow(acc, p.pix[sy*p.pitch:sy*p.pitch+p.w*ch], ch)
		}
		dst := out.pix[y*out.pitch : y*out.pitch+w*ch]
		for x := range w {
			n := uint64((y1 - y0) * (r.xhi[x] - r.xlo[x]))
			for c := x * ch; c < x*ch+ch; c++ {
				dst[c] = byte((acc[c] + n/2) / n)
			}
		}
	}
	return out
}

func (r *resizer) columns(from, to int) {
	if cap(r.xlo) < to {
		r.xlo, r.xhi = make([]int, to), make([]int, to)
	}
	r.xlo, r.xhi = r.xlo[:to], r.xhi[:to]
	for x := range to {
		r.xlo[x], r.xhi[x] = span(x, from, to)
	}
}

// span is the source run [lo, hi) of output index i; never empty.
func span(i, from, to int) (lo, hi int) {
	lo = i * from / to
	hi = (i + 1) * from / to
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func (r *resizer) addRow(acc []uint64, row []byte, ch int) {
	switch ch {
	case 1:
		for x, lo := range r.xlo {
			var s uint32
			for _, v := range row[lo:r.xhi[x]] {
				s += uint32(v)
			}
			acc[x] += uint64(s)
		}
	case 3:
		for x, lo := range r.xlo {
			var s0, s1, s2 uint32
			px := row[lo*3 : r.xhi[x]*3]
			for i := 0; i+2 < len(px); i += 3 {
				s0 += uint32(px[i])
				s1 += uint32(px[i+1])
				s2 += uint32(px[i+2])
			}
			acc[x*3] += uint64(s0)
			acc[x*3+1] += uint64(s1)
			acc[x*3+2] += uint64(s2)
		}
	default:
		for x, lo := range r.xlo {
			a := acc[x*ch : x*ch+ch]
			for sx := lo; sx < r.xhi[x]; sx++ {
				for c, v := range row[sx*ch : sx*ch+ch] {
					a[c] += uint64(v)
				}
			}
		}
	}
}
