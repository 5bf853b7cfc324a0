// Package jsonscan owns the few JSON-text primitives the hot path reads
// with: white space, one byte, a plain string, an integer. The brain
// session reads a cycle:update's envelope with them and spikes reads its
// rows, both straight from the text, so that the thousands of numbers of a
// cycle are never boxed into interface values. Anything these primitives
// do not take (escapes, fractions, exponents) makes the caller fall back
// to encoding/json.
package jsonscan
