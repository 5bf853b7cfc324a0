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
// Importing this package links the Socket.IO client, whose engine traps
// SIGINT/SIGTERM/SIGQUIT in an init function; binaries must install their own
// signal.NotifyContext and exit on it.
package brain
