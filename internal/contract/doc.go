// Package contract owns the run contract of the Artificial Brains protocol:
// the typed view of what a project's brain expects (constants, inputs,
// outputs, feedback populations, STDP3 layers, realtime endpoint), with the
// protocol's defaults applied. Both the bridge and the embedded local brain
// speak through these types so the two sides cannot drift apart.
package contract
