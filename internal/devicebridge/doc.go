// Package devicebridge runs the bridge against a Prima-Lux device (brain.kind:
// primalux): it is the device side of internal/bridge, as the realtime
// session (internal/brain) is the 0.1 side. It owns the device's run (start
// at launch, bounded; started again when the device comes back READY after a
// restart; stopped, bounded, at shutdown), the sensor ticker that posts one
// frame per period from the bridge's stores (joint positions through the
// SDK's encoder modes, the newest camera JPEG as a gray or RGB retina, the
// audio since the previous frame as its loudness envelope) and the reward
// policy's latest value (the reward population), and the output stream whose frames
// it decodes (primalux.SpikeDecoder, the SDK's decoder, or with
// Config.Actuation its ActuationDecoder, from the frames' channel counts;
// a frame it refuses is counted and its step carries no motion) and groups into
// cycles of gamma steps for bridge.OnDeviceSteps, so that every trajectory
// goes through the 0.1 path's shaper, limits and holds.
//
// Why a package of its own rather than more of internal/bridge: the bridge
// stays protocol-free (it sees neither Socket.IO nor HTTP), and the device's
// push model (the robot posts frames on its own clock, outputs stream in)
// does not fit the bridge's pull model (io:need); this package turns one
// into the other through a few narrow entry points (bridge/device.go).
//
// Irregularities hold the arm through the bridge's own hold code: a dropped
// stream is a lost link (bridge.OnLink) until the stream is back; a gap or a
// reset in the device's outputs is a hold (bridge.OnDeviceHold) and the
// partial cycle is discarded; stale joint_states hold it in the bridge and
// are not posted. A stream that ends on a refusal (a 4xx, an error event) is
// opened again from its cursor after a backoff, so a resume loses and
// repeats no frame (the stream drops duplicates; Stats counts what it saw).
// After every connect, frames the device sends back to back (what it kept
// while the node was away) are taken but not commanded: old motion is not
// played at once; motion resumes with the first frame at the live pace.
// Sensor posts are never retried (a repeated observation is a second one):
// failures are counted, and a 409 (the brain is not running) asks the run
// keeper to look. When the device has accepted no sensor frame for the
// silence window (Config.SenseSilence, the node's brain.lost_after_cycles ×
// cycle_duration) its brain acts on stale senses: the arm is held once
// (bridge.OnDeviceHold), its outputs are taken but not commanded, and the
// first accepted frame releases it (senses.go).
//
// Stats carries the output stream's state (up, since when, why it was last
// lost) and the reason of the last hold beside the counters, as plain data
// for the node's /diagnostics.
package devicebridge
