// Package primalux is the ROS-free core of the bridge's second brain
// backend: a local Prima-Lux device, as the Artificial Brains SDK 0.4
// reaches it (plain HTTP with JSON, outputs as server-sent events). It owns
// the device client, the output stream, the encoders that turn the robot's
// signals into the device's population vectors, the decoders that turn
// output frames into motor deltas, and the I/O contract. It knows nothing of
// ROS or of the 0.1 Socket.IO protocol (internal/brain).
//
// # Client
//
// New refuses an address that is not an http(s) origin, and plain http to
// anything but loopback, private (RFC 1918, IPv6 ULA), link-local,
// localhost or *.local hosts, before any request. Every request carries
// "Authorization: Bearer plx_…"; the Key type never prints (fmt, slog, JSON)
// and is read from AB_DEVICE_API_KEY, a .env file or a key file
// (KeySource), never argv. Failures are *Error values of a Kind: Fatal
// (401, 403, 404: the key or the firmware), Retryable (408, 429, 5xx, the
// network; RetryAfter from the header), Rejected (other 4xx) or Protocol
// (an answer that is not a JSON object, an unacknowledged sensor frame).
// Redirects are not followed: one could carry the key elsewhere.
//
// Stop confirms a stop the way the SDK does — STOPPED and not busy, READY
// is no proof — and ends at once on a fault state or an engine error; it
// also polls through retryable status failures until its deadline, and
// reports what it saw (Watch, WaitError). SendSensors validates a post
// exactly as the SDK and device limit it (1–128 populations, ids of 1–128
// characters, 1–498 values each, all finite in [0, 1]) and never retries:
// a repeated observation is a second observation.
//
// Events is the SDK's polling read of recent outputs, beside the stream.
// Settings is the backend's configuration section (not yet part of
// internal/config), falling back to the SDK's AB_DEVICE_* variables.
//
// Brains are installed two ways, as the SDK installs them: UploadPackage
// sends a compiled, signed package (.abp) and waits until the device shows
// it active and READY; BuildDesign sends a design (ParseDesign normalises
// it as the SDK's designer does and computes the design_sha256 the device
// confirms builds by; LoadDesign reads a design file and refuses a contract
// JSON) and follows the build to READY, repeating requests whose answers
// were lost, since a lost answer does not cancel the build, and reporting
// each answer to an optional progress callback. The node's primalux.build
// and abctl prima-lux-build are its two callers.
//
// # Stream
//
// Stream.Run reads GET /api/brain/stream?replay=&cursor= and resumes from
// the last delivered frame's cursor after every drop, with a backoff from
// MinBackoff (or the stream's retry field) doubling to MaxBackoff, reset by
// a connection that delivered a hello or a frame; Retry-After wins. A
// connection silent (not even a heartbeat comment) for IdleTimeout is
// dropped. 401/403/404 and other non-retryable refusals end Run.
//
// Positions are "epoch:seq". The SDK treats every irregularity as the end
// of the session (it stops the robot); here each is reported as an event
// and the stream goes on, so the bridge decides (it holds the arm):
//
//   - a frame at or before the cursor (a replay after a resume) is dropped
//     and counted (Duplicates): a resume never repeats a frame;
//   - a frame more than one past the cursor gives an EventGap with the
//     number missed, then the frame;
//   - a "gap" event gives an EventGap with its message; the stream goes on
//     just before its "oldest" (the first frame the device still keeps) or
//     from its "cursor" when that is further on than ours; without either,
//     the next frame tells how many were missed, and if the connection ends
//     first the next one asks without a cursor and with replay, so the device
//     sends all it still keeps and its hello tells the rest;
//   - a hello, on resume, further on than the cursor is a gap of the
//     difference; one behind it keeps the cursor (what follows up to it is
//     dropped as duplicates); the SDK stops in both cases;
//   - a frame or hello in another epoch, or a "reset" event, gives an
//     EventReset (the run changed or was reset) and positions restart there;
//     after a reset that names no position the next connection asks without
//     a cursor and with replay, so no frame of the new epoch is lost;
//   - an "error" event ends Run with a *StreamError (as in the SDK);
//   - a frame that cannot be read is an EventMalformed, counted, never a
//     crash; when its position is readable the cursor still moves past it,
//     so it is neither fetched again nor taken for a gap;
//   - an event cut off by a drop is discarded (the SSE rule) and counted;
//     the resume fetches it again.
//
// # Encoders and decoders
//
// Encode applies the SDK's modes with its numbers (encoder.py): scalar
// populations quantised with Python's truncating int(), the SDK's checks in
// its order, Python's min/max and half-to-even rounding for rewards.
// RewardVector is publish_reward's reward population. Retina and Envelope
// turn pictures and PCM into vectors in [0, 1] (the SDK has no formats for
// them; its modes then pad or cut them to the population). SpikeDecoder is
// GenericSpikeDecoder and ActuationDecoder is ActuationChannelDecoder: one
// Command {t: step, deltas: {channel: value}} per frame item.
//
// # Contract
//
// The device does not serve the I/O contract: it comes from the contract
// JSON the SDK reads (AB_DEVICE_CONTRACT) or the brain's design file
// (artificial-brains/design/v1), parsed by LoadContract with errors that
// name the entry, stricter than the SDK where it would lose one silently.
package primalux
