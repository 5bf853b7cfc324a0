// Package brain owns the bridge's side of the Artificial Brains wire protocol:
// the REST client (start and stop a run, fetch the contract and the IO state)
// and the realtime session over Socket.IO (join the run on every connect,
// receive io:need and cycle:update, send io:chunk, robot:state and
// learn:reward).
//
// The session never queues data while disconnected: stale sensor data must
// not be replayed after a reconnect, so sends fail fast with ErrDisconnected
// and are counted. Incoming events are validated before the Handler sees
// them; malformed ones are counted and logged at a limited rate.
//
// The session reconnects by itself rather than through the Socket.IO client
// library, whose reconnection loses races on fast links (connector.go says
// which), and it paces its first packets for the Go server library's own
// races, so that it works against the embedded local brain as well as
// against the cloud.
//
// A brain is judged dead by the session's own rules, not the Engine.IO
// ping timeout (45 s on the usual servers): an Engine.IO CLOSE ends the
// connection at once (the client library ignores CLOSE over websocket,
// and async python-socketio sends it on shutdown but keeps the socket
// open); every dial is bounded (the library's dialer has no handshake
// timeout: a frozen server held an attempt for ever); and a joined run
// that hears no io:need or cycle:update for SessionConfig.Silence is lost:
// the connection is dropped and dialled again, or, right after a join, the
// run is reported gone (RunGone) — a restarted brain forgets its runs and
// most servers say nothing to a join of an unknown one. run:join asks for
// an acknowledgement, so a server that answers {ok: false} says so at
// once. The owner then starts a new run and names it with SetRun. The
// handler hears every change of the link (Handler.OnLink).
//
// The Engine.IO websocket transport is the session's own (transport.go):
// it dials with a bound, reads every frame into one reused buffer and
// writes a message's bytes as they are, where the library's grew, zeroed
// and copied each message twice on the way in and copied JPEG attachments
// twice on the way out. It emits what the library's transport emits.
//
// A cycle:update read that way reaches the session on the transport's
// reader, not through the library's event goroutine, whenever none of the
// session's events waits for that goroutine (direct.go): the handler still
// hears the brain's events one at a time, in order.
//
// The session's own events are written by its encoder (wirejson.go) as the
// bytes the library's encoder writes for the same payload map, proven
// against it, without walking the map three times, reflection, or a
// doubling copy of every attachment; every other packet goes through the
// library's encoder.
//
// The client offers no per-message deflate: gorilla/websocket under the
// library implements only "no context takeover" and refuses a server's
// answer without client_no_context_takeover, which RFC 7692 allows and
// aiohttp sends; a client must not offer what it cannot accept.
//
// Importing this package links the Socket.IO client, whose engine traps
// SIGINT/SIGTERM/SIGQUIT in an init function; binaries must install their own
// signal.NotifyContext and exit on it.
package brain
