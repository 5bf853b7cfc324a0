// Package localdevice owns a local stand-in for a Prima-Lux device: the
// HTTP + server-sent-events API that Artificial Brains' SDK 0.4.0 talks to
// (its device client, PrimaLuxClient, and its live output stream), served
// on loopback with the local brain's spiking network behind it, so the
// bridge's device client and the tests run without the hardware.
//
// What it serves (every route needs Authorization: Bearer plx_..., the
// configured key; a wrong or missing one is 401 {"detail": ...}, the error
// shape the SDK reads):
//   - GET /api/status: engine {state IDLE|READY|RUNNING|STOPPING|STOPPED,
//     has_brain, busy, available, error, native_brain_name, epoch, ...},
//     package {pending, active {name, sha256, design_sha256}, failed_load}.
//   - POST /api/brain/run (a new epoch), /stop (acknowledged at once; the
//     engine is STOPPING and busy for the stop delay, then STOPPED, which
//     is what the SDK's stop_and_wait polls for), /reset and
//     /reset-dynamics (the network back to its initial weights, a new
//     epoch).
//   - POST /api/brain/sensor {"POPULATION": [values in 0..1], ...}: 1 to
//     128 populations of the installed brain, each exactly its size (at
//     most 498) in values; answered {ok: true, queued: true}, or 400 naming
//     the first problem, 409 when not running, 503 when the input queue is
//     full.
//   - GET /api/brain/stream?replay=0|1&cursor=EPOCH:SEQ: event hello
//     {cursor}, then event frame (id EPOCH:SEQ, data {epoch, sequence,
//     item}) per output frame; a cursor of an older epoch gets reset, one
//     older than the replay buffer gap, one ahead of the device error, each
//     closing the stream; a comment line every heartbeat period.
//   - GET /api/brain/events: the newest frames, for polling clients.
//   - POST /api/brain/build {design, design_sha256} (what the SDK's
//     build_on_device sends; the digest must be the design's), then GET
//     /api/brain/build/{id} until READY: the package is pending and the
//     engine busy for the build delay, then the design's populations are
//     the installed brain (READY, a new epoch). A design the stand-in cannot
//     run fails with INVALID_DESIGN build feedback. POST /api/brain/load
//     (.abp packages) is 501.
//
// Epochs: a frame sequence starts at 1 in each epoch; an epoch begins with
// every run, reset and restart. Open streams hear reset (run, reset) or are
// dropped (restart, like a device that went away; their reconnect hears
// reset).
//
// The network: localbrain.VectorNet. Each input population of the brain
// but the reward ones is a sensory population driven by its latest values;
// each output population an output population. The ticker steps it once
// per frame (StepsPerFrame timesteps) while the engine runs; every output
// neuron that fired at timestep t is "NAME:index" in the frame's outputs
// entry for t. A reward population's share of set neurons (the SDK's
// reward_population code) is a reward in [0, 1] that the next step's
// reward-modulated STDP applies (0.5 neutral).
//
// Fault knobs (Device methods; over HTTP under /standin/ with
// Config.Faults, same key): Restart, DropStreams, FailNext (answer N
// requests with a chosen 4xx/5xx), SetStopDelay.
//
// What it does not model: .abp packages (upload, signatures), OPUs and
// connections of a design (the network is sensors all-to-all into
// outputs), build feedback beyond INVALID_DESIGN, the telemetry page and
// stream, the FPGA's timing and input scheduling (inputs take effect at the
// next tick), dynamics saved to storage (they live as long as the process),
// HTTPS.
package localdevice
