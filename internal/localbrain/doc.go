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
//     the integration tests. Chunks are checked (a JPEG that decodes, whole
//     int16 samples, sizes) and recorded, and drive the network (below).
//
// Runs and cycles. A run's cycle loop (its own goroutine, not the join
// handler: the reference SDK attaches its io:need handler after emitting
// run:join) ticks every CycleInterval while a socket is in the run's room:
// io:need for every contract input, wait until all are answered or the
// deadline passes (unanswered needs are counted per input), step the network
// for gamma timesteps on the latest inputs, cycle:update with the output
// spikes as object rows {t, id, bits}. In lock-step (the start option
// lockStep, or Config.LockStep) the next cycle starts as soon as the last
// is sent, so a run goes as fast as its client answers and, for a seed and
// the same answers, repeats exactly; the bridge works the same in both.
// Several robots may drive one project at once, one run each (a fleet); a
// start stops only the project's abandoned runs (joined, no socket left). A
// socket that reconnects without re-sending run:join (the reference SDK does
// that) is put back into the running run of its API key that lost its
// socket, when that is unambiguous (see resumeTarget); otherwise it waits
// for its run:join.
//
// Start options (the body of the start call; other keys are ignored):
// lockStep (bool), learning (bool, default true: false freezes the weights,
// the control of a learning curve), seed (a whole number). io/state reports
// them with the learning figures (rewards applied, late, dropped, mean
// weight, total weight change).
//
// # The network
//
// Leaky integrate-and-fire neurons: each timestep v ← λ·v + I with λ = 0.8;
// v ≥ θ spikes and resets to 0; v < 0 is set to 0. Every current has a
// Gaussian background term (σ 0.05 sensory, 0.4 output: the output noise is
// the exploration learning needs). The network is built from the contract:
//
//   - sensory populations, all feeding every output neuron:
//     Proprioception: 21 neurons with Gaussian tuning, I_i = 0.9·exp(−(x −
//     p_i)²/2w²), p_i = i/20, w = 1/20, x the joint position normalised over
//     lo/hi (the chunk's meta, else the contract's);
//     Image: the JPEG's mean luma on an 8×8 grid, I = 0.6·luma;
//     Audio: the power of 8 log-spaced bands (125 Hz to min(4 kHz, rate/2.2))
//     over the newest 2,048 samples, log-compressed over 60 dB, I = 0.6·level;
//     θ = 1. The drive of a cycle is its input's latest chunk.
//   - output populations (outputWindowN, or the output's n): the first half
//     moves the channel up, the second down, as a bipolarSplit decoder reads
//     them; thresholds θ_m uniform in [0.6, 1.4], a neuron and its mirror in
//     the other half sharing one, so noise alone moves a joint neither way.
//     I_m = Σ_{i spiked} w_mi + nudge_m + noise.
//   - feedback populations (the contract's feedback, N neurons): driven by
//     the raster of the cycle, I = 1.2·r_{t,n}; deviation_f32 becomes the
//     population code the bridge uses for raster_f32 (first half: above the
//     target, |d|·N/2 neurons active; second half: below), so both formats
//     mean the same. A feedback chunk of another T than gamma, or a raster of
//     another N, is refused as malformed; a cycle without a feedback chunk
//     keeps the previous cycle's raster (the protocol's baseline). Spikes of
//     the first half excite the second half of the output named fromOutput
//     (push down), the second half its first half (push up): nudge =
//     0.25 × (spiking share of the feedback half).
//
// The motor weights w (the contract's first STDP3 layer) start uniform in
// [0, 0.05·s) and stay within [0, 1.5·s], s = 21/N_population, so that a
// 64-cell camera weighs on an output no more than a joint does.
//
// # Learning: reward-modulated STDP
//
// Each synapse keeps a cycle's eligibility e from spike timing, with
// traces x_i ← 0.7·x_i + S_i (presynaptic) and y_m ← 0.7·y_m + S_m:
//
//	post spike of m:  e_mi += 1.0·x_i     (pre before post: potentiation)
//	pre spike of i:   e_mi −= 0.5·y_m     (post before pre: depression)
//
// The eligibility of the last 3 cycles is kept. A learn:reward for cycle c
// (its byLayer value for the layer, else globalReward) is applied before the
// next step; it scores the motion commanded by cycle c−1, whose trajectory
// ran until cycle c's update, and a little by c−2's (the tail of a
// trajectory and the robot's latency):
//
//	Δw_mi = η·s·(r − 0.5)·(e_mi(c−1) + 0.5·e_mi(c−2)),   η = 0.05,
//
// clipped to the bounds. A reward for a cycle whose eligibility is gone is
// counted late and changes nothing; one without a usable cycle number
// counts for the latest. The target a task rewards is only in the client's
// reward policy: the network is never told it, and finds it by learning
// (internal/reach measures that: every seed of ten reaches its target within
// 2,000 cycles, none without learning).
//
// Library workarounds (the Socket.IO modules, server v3.0.2 and client
// v3.0.1, have races that show on loopback): handshake_gate.go holds a new
// websocket's reads until the server library has wired the connection, or a
// quick namespace CONNECT is dropped; a second CONNECT on one transport (the
// Go client sends one at times) is treated as the same client, not a second
// member of the run; Kick drops the transport without a DISCONNECT packet,
// since a client told "server disconnect" does not reconnect.
//
// Background noise and the initial weights come from a PCG generator
// seeded with the run's seed (Config.Seed unless the start call names one):
// the same seed and inputs give the same spikes and the same learning.
package localbrain
