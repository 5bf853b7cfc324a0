// Package localbrain owns the embedded Artificial-Brains-compatible brain:
// a loopback server that speaks the platform's protocol (REST under /api,
// Socket.IO namespace /ab) so the bridge, the reference SDK and the tests
// run without an account.
//
// What it serves:
//   - POST /api/robot/{projectId}/start, /stop; GET .../io/state, .../contract,
//     guarded by the API key (x-api-key or Authorization: Bearer) when one
//     is configured; answers 401 JSON otherwise.
//   - namespace /ab: run:join, io:chunk, robot:state, learn:reward in;
//     io:need and cycle:update out. Payloads are validated; a bad one is
//     counted on its run (io/state "malformed"), logged with its reason and
//     otherwise ignored.
//   - built-in projects: "demo", a 2-joint planar arm with an overhead
//     camera (Image input overhead_cam), and "sensors", the same arm with
//     an input of every sensor message type the bridge takes (the cameras
//     cam, depth, cam_jpeg and the microphones mic_bytes, mic_samples), for
//     the integration tests. Image and Audio chunks are checked (a JPEG
//     marker, whole int16 samples) and recorded; the network steps on the
//     joints alone.
//
// Runs and cycles. A run's cycle loop (its own goroutine, not the join
// handler: the reference SDK attaches its io:need handler after emitting
// run:join) ticks every CycleInterval while a socket is in the run's room:
// io:need for every contract input, wait until all are answered or the
// deadline passes (unanswered needs are counted per input), step the network
// for gamma timesteps on the latest inputs, cycle:update with the output
// spikes as object rows {t, id, bits}. Several robots may drive one project
// at once, one run each (a fleet); a start stops only the project's
// abandoned runs (joined, no socket left). A socket that reconnects without
// re-sending run:join (the reference SDK does that) is put back into the
// running run of its API key that lost its socket, when that is unambiguous
// (see resumeTarget); otherwise it waits for its run:join.
//
// The network. Leaky integrate-and-fire neurons, v ← 0.8·v + I, spike and
// reset to 0 at threshold. Per joint:
//   - an input population of 21 neurons with Gaussian tuning over the
//     joint's position, normalised to [0, 1] with lo/hi (the chunk's meta,
//     else the contract's); threshold 1;
//   - an output population of outputWindowN neurons, first half "positive",
//     second half "negative" as a bipolarSplit decoder reads them, with
//     heterogeneous thresholds (mirror neurons of the two halves share one,
//     so noise alone moves the joint neither way);
//   - the "motor" weights (the STDP3 layer): an input neuron whose preferred
//     position lies below the joint's target drives the positive half, one
//     above drives the negative half, with weight proportional to the
//     distance. Far from the target many neurons fire; at the target the
//     halves balance, so a bipolarSplit decoder moves the arm toward the
//     target and it settles (demo targets: shoulder 0.6 rad, elbow -0.4 rad).
//
// Library workarounds (the Socket.IO modules, server v3.0.2 and client
// v3.0.1, have races that show on loopback): handshake_gate.go holds a new
// websocket's reads until the server library has wired the connection, or a
// quick namespace CONNECT is dropped; a second CONNECT on one transport (the
// Go client sends one at times) is treated as the same client, not a second
// member of the run; Kick drops the transport without a DISCONNECT packet,
// since a client told "server disconnect" does not reconnect.
//
// Background noise comes from a PCG generator seeded with Config.Seed: the
// same seed and inputs give the same spikes. Rewards are stored, not yet
// learned from.
package localbrain
