package brain

import (
	"net"
	"sync"
)

// keptBatchBuffer is the largest batch buffer kept between batches; a
// rarer, larger batch (raw frames) is sent from one that is then let go.
const keptBatchBuffer = 1 << 20

// batchConn is the websocket's TCP connection, able to hold what is written
// to it and send it with one write. The websocket library writes every
// frame with its own write, and a client's message in 4 KiB fragments: a
// need answered with seven joint chunks and a JPEG was some twenty
// syscalls, and as many wake-ups of the brain, for what is one burst
// (pprof of BenchmarkNodeCameraLoad: socket writes 10 % of the node's CPU).
//
// Writes outside a batch (the library's control frames, from its reader)
// go straight through, or join the batch being held.
type batchConn struct {
	net.Conn

	mu      sync.Mutex
	holding bool
	held    []byte
}

// Write sends p, or adds it to the batch being held.
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holding {
		c.held = append(c.held, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// hold starts a batch: writes are kept until send.
func (c *batchConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// send ends the batch and writes what it held with one write (net.Conn's
// Write writes all of it or returns an error).
func (c *batchConn) send() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	if len(c.held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.held)
	if cap(c.held) > keptBatchBuffer {
		c.held = nil
	} else {
		c.held = c.held[:0]
	}
	return err
}
