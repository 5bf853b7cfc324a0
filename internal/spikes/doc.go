// Package spikes turns the brain's output spikes into actuator deltas.
//
// A cycle:update carries "outputs": one row per (timestep, output
// population) holding that population's spike bits. ParseRows reads those
// rows in both shapes the protocol allows; a Decoder, built from the
// mapping entries of the bridge's configuration, turns them into one Step
// per timestep holding a delta per actuator channel ("joint:0", "gripper",
// "wheel:left", ...). JointDeltas folds a step into the dq/dg convention of
// arms. The numbers match the reference SDK's decode_stream_rows; where the
// protocol description and the SDK disagree the package follows the
// protocol description, and the differences are documented on the function
// concerned.
//
// Mapping files (LoadMapping, and MappingList in the node's configuration)
// are read exactly as the SDK's normalize_mapping reads its dicts, so that
// every mapping it accepts decodes to the same numbers. What the SDK
// silently ignores (a key no scheme reads, such as threshold on addition,
// an alias another one shadows, an entry it drops) loads with one warning
// naming file:line. An unknown scheme, which the SDK decodes as 0, is
// refused, naming the scheme and file:line: it is always a typo, and since
// the SDK still clamps that 0, a clamp not holding 0 would make it a
// constant push. So is an entry whose per_step_max, gain or min_step would
// make the SDK send infinite or NaN deltas. See MappingEntry.
//
// The package owns no goroutine and no I/O besides LoadMapping; a Decoder
// is immutable after NewDecoder and may be shared. The hot path, a
// RowBuffer's Parse then DecodeInto with a reused Buffer, does not allocate.
package spikes
