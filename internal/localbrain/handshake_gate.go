package localbrain

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/servers/engine/v3"
)

// The Socket.IO server library (v3.0.2) sends the engine "open" packet
// before it announces the connection to its Socket.IO layer, which only then
// starts listening for the connection's data. A fast client answers "open"
// with its namespace CONNECT in that gap; the packet is dropped and the
// client waits for a connect that never comes (seen on loopback under load).
// The gate holds the reads of a new websocket connection until the Socket.IO
// layer has taken the connection, so nothing the client sends is lost.

// gateTimeout releases a gate whose connection event never came (a failed
// handshake), so a stuck connection still reads and fails on its own.
const gateTimeout = 3 * time.Second

type connKey struct{}

// gateListener wraps accepted connections in gatedConns.
type gateListener struct{ net.Listener }

func (l gateListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, open: make(chan struct{})}, nil
}

// gatedConn is a connection whose reads can be held until opened.
type gatedConn struct {
	net.Conn
	armed  atomic.Bool
	open   chan struct{}
	opened sync.Once
}

func (c *gatedConn) arm() { c.armed.Store(true) }

func (c *gatedConn) release() { c.opened.Do(func() { close(c.open) }) }

func (c *gatedConn) Read(p []byte) (int, error) {
	if c.armed.Load() {
		select {
		case <-c.open:
		default:
			c.wait()
		}
	}
	return c.Conn.Read(p)
}

func (c *gatedConn) wait() {
	t := time.NewTimer(gateTimeout)
	defer t.Stop()
	select {
	case <-c.open:
	case <-t.C:
		c.release()
	}
}

// Close closes the connection before it opens the gate, so that a read held
// by the gate fails instead of racing the close for data already sent.
func (c *gatedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// connContext remembers each request's connection, so the engine's
// connection event can find the gate of its socket.
func connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// gateHandshakes arms the gate of every new websocket handshake at the
// moment the connection is hijacked: from then on only the websocket
// reads it, and nothing else waits on those reads.
func gateHandshakes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sid") == "" {
			w = gatingWriter{w}
		}
		next.ServeHTTP(w, r)
	})
}

type gatingWriter struct{ http.ResponseWriter }

func (w gatingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("local brain: connection cannot be hijacked")
	}
	c, brw, err := h.Hijack()
	if g, ok := c.(*gatedConn); ok && err == nil {
		g.arm()
	}
	return c, brw, err
}

func (w gatingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w gatingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// releaseOnConnection opens a connection's gate once the engine has
// announced it. Listeners run in registration order, so this runs after the
// Socket.IO layer's own and its data listener is in place.
func releaseOnConnection(args ...any) {
	if len(args) == 0 {
		return
	}
	sock, ok := args[0].(engine.Socket)
	if !ok || sock.Request() == nil || sock.Request().Request() == nil {
		return
	}
	if c, ok := sock.Request().Request().Context().Value(connKey{}).(*gatedConn); ok {
		c.release()
	}
}
