package spikes

import (
	"encoding/binary"
)

// scheme is a mapping entry's scheme, resolved once by NewDecoder.
type scheme uint8

const (
	schemeUnknown scheme = iota // decodes to 0, as the protocol says
	schemeBipolarSplit
	schemeAddition
	schemeBooleanThreshold
	schemeBipolarScalar
)

func schemeOf(name string) scheme {
	switch name {
	case SchemeBipolarSplit:
		return schemeBipolarSplit
	case SchemeAddition:
		return schemeAddition
	case SchemeBooleanThreshold:
		return schemeBooleanThreshold
	case SchemeBipolarScalar:
		return schemeBipolarScalar
	}
	return schemeUnknown
}

// rowCounts are the spike counts every scheme is computed from, counted once
// per row however many entries read it.
type rowCounts struct {
	n     int // bits in the row
	all   int // spikes in the whole row
	first int // spikes in bits[:n/2]
	last  int // spikes in bits[n/2 : 2*(n/2)]: an odd row's last bit counts in neither half
}

func countSpikes(bits []uint8) rowCounts {
	half := len(bits) / 2
	c := rowCounts{n: len(bits), first: nonZero(bits[:half]), last: nonZero(bits[half : 2*half])}
	c.all = c.first + c.last
	if len(bits) > 2*half && bits[2*half] != 0 {
		c.all++
	}
	return c
}

// nonZero counts the non-zero bytes of b, eight at a time: a cycle's rows
// are counted for every entry reading them, the decoder's inner loop.
func nonZero(b []uint8) int {
	const lows = 0x0101010101010101
	n := 0
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		// Fold each byte onto its lowest bit: set when the byte is non-zero.
		x |= x >> 4
		x |= x >> 2
		x |= x >> 1
		// Sum the eight 0/1 bytes into the top byte.
		n += int((x & lows) * lows >> 56)
		b = b[8:]
	}
	for _, v := range b {
		if v != 0 {
			n++
		}
	}
	return n
}

// bipolarSplit: spikes of the first half minus those of the second.
func bipolarSplit(c rowCounts) float64 {
	if c.n < 2 {
		return 0
	}
	return float64(c.first - c.last)
}

// addition: all spikes of the row.
func addition(c rowCounts) float64 {
	return float64(c.all)
}

// booleanThreshold: 1 when at least thr neurons spiked; thr is clipped to
// [1, n] so that a too large threshold still fires on a full row.
func booleanThreshold(c rowCounts, thr int) float64 {
	if c.n == 0 {
		return 0
	}
	thr = min(max(thr, 1), c.n)
	if c.all >= thr {
		return 1
	}
	return 0
}

// bipolarScalar: the sign of bipolarSplit.
func bipolarScalar(c rowCounts) float64 {
	switch d := bipolarSplit(c); {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}
