package sensor

import "encoding/binary"

// resizer box-filters planes to a new size, keeping its scratch between
// frames. Each output pixel is the mean of the source pixels that map to it:
// source rows and columns are split into runs of near-equal length and,
// when shrinking, every source pixel counts exactly once (area averaging).
// Growing repeats pixels.
type resizer struct {
	cols      []uint32 // per source byte of a row: sum over the current row run
	even, odd []uint64 // the same sums, four 16-bit lanes a word (see addRows)
	xlo, xhi  []int
	inv       []uint64 // per output column: reciprocal of its pixel count
	invRows   uint32   // the row count inv was computed for
}

func (r *resizer) resize(buf []byte, p plane, w, h int) plane {
	ch := p.format.size
	out := plane{pix: grow(buf, w*h*ch), w: w, h: h, pitch: w * ch, format: p.format}
	r.columns(p.w, w)
	r.invRows = 0
	rowBytes := p.w * ch
	if cap(r.cols) < rowBytes {
		r.cols = make([]uint32, rowBytes)
	}
	cols := r.cols[:rowBytes]
	for y := range h {
		// Rows first: a straight loop over bytes, whatever the channels.
		y0, y1 := span(y, p.h, h)
		if y1-y0 <= maxLaneRows {
			r.addRows(cols, p, y0, y1)
		} else {
			copyRow(cols, p.pix[y0*p.pitch:y0*p.pitch+rowBytes])
			for sy := y0 + 1; sy < y1; sy++ {
				addRow(cols, p.pix[sy*p.pitch:sy*p.pitch+rowBytes])
			}
		}
		r.reduce(out.pix[y*out.pitch:y*out.pitch+w*ch], cols, ch, uint32(y1-y0))
	}
	return out
}

// maxLaneRows is how many rows of bytes a 16-bit lane can sum: 257 × 255
// is the largest multiple of 255 under 65536.
const maxLaneRows = 257

// addRows sums rows [y0, y1) of p into cols, eight bytes at a time: each
// word of a row is split into its even and odd bytes, which add up in the
// four 16-bit lanes of two accumulators without carrying into each other.
func (r *resizer) addRows(cols []uint32, p plane, y0, y1 int) {
	const bytes = 0x00ff00ff00ff00ff
	words := len(cols) / 8
	if cap(r.even) < words {
		r.even, r.odd = make([]uint64, words), make([]uint64, words)
	}
	even, odd := r.even[:words], r.odd[:words]
	clear(even)
	clear(odd)
	tail := cols[words*8:]
	clear(tail)
	for sy := y0; sy < y1; sy++ {
		row := p.pix[sy*p.pitch : sy*p.pitch+len(cols)]
		for k := range even {
			x := binary.LittleEndian.Uint64(row[8*k : 8*k+8])
			even[k] += x & bytes
			odd[k] += (x >> 8) & bytes
		}
		addRow(tail, row[words*8:])
	}
	for k := range even {
		e, o := even[k], odd[k]
		c := cols[8*k : 8*k+8]
		c[0], c[1] = uint32(e&0xffff), uint32(o&0xffff)
		c[2], c[3] = uint32(e>>16&0xffff), uint32(o>>16&0xffff)
		c[4], c[5] = uint32(e>>32&0xffff), uint32(o>>32&0xffff)
		c[6], c[7] = uint32(e>>48), uint32(o>>48)
	}
}

func copyRow(cols []uint32, row []byte) {
	for i, v := range row {
		cols[i] = uint32(v)
	}
}

func addRow(cols []uint32, row []byte) {
	cols = cols[:len(row)]
	for i, v := range row {
		cols[i] += uint32(v)
	}
}

// reduce averages the column sums over each output pixel's column run.
// Dividing by the run's pixel count is a multiplication by its reciprocal
// in 40-bit fixed point, exact for every sum up to 256 × n when n < 65536.
func (r *resizer) reduce(dst []byte, cols []uint32, ch int, rows uint32) {
	if rows != r.invRows {
		r.reciprocals(rows)
	}
	for x, lo := range r.xlo {
		hi := r.xhi[x]
		n, inv := uint64(rows)*uint64(hi-lo), r.inv[x]
		if inv == 0 {
			r.reduceSlow(dst[x*ch:x*ch+ch], cols[lo*ch:hi*ch], ch, n)
			continue
		}
		half := n / 2
		run := cols[lo*ch : hi*ch]
		if ch == 3 {
			var s0, s1, s2 uint32
			for i := 0; i+2 < len(run); i += 3 {
				s0 += run[i]
				s1 += run[i+1]
				s2 += run[i+2]
			}
			d := dst[x*3 : x*3+3]
			d[0] = byte((uint64(s0) + half) * inv >> 40)
			d[1] = byte((uint64(s1) + half) * inv >> 40)
			d[2] = byte((uint64(s2) + half) * inv >> 40)
			continue
		}
		for c := range ch {
			var s uint32
			for i := c; i < len(run); i += ch {
				s += run[i]
			}
			dst[x*ch+c] = byte((uint64(s) + half) * inv >> 40)
		}
	}
}

// reciprocals fills inv for runs of rows rows; 0 marks a run too large for
// the fixed-point division.
func (r *resizer) reciprocals(rows uint32) {
	if cap(r.inv) < len(r.xlo) {
		r.inv = make([]uint64, len(r.xlo))
	}
	r.inv, r.invRows = r.inv[:len(r.xlo)], rows
	for x, lo := range r.xlo {
		n := uint64(rows) * uint64(r.xhi[x]-lo)
		r.inv[x] = 0
		if n < 1<<16 {
			r.inv[x] = (1<<40 + n - 1) / n
		}
	}
}

func (r *resizer) reduceSlow(dst []byte, run []uint32, ch int, n uint64) {
	for c := range ch {
		var s uint64
		for i := c; i < len(run); i += ch {
			s += uint64(run[i])
		}
		dst[c] = byte((s + n/2) / n)
	}
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
