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
// The package owns no goroutine and no I/O besides LoadMapping; a Decoder
// is immutable after NewDecoder and may be shared. The hot path, a
// RowBuffer's Parse then DecodeInto with a reused Buffer, does not allocate.
package spikes
