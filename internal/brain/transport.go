package brain

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/clients/engine/v3"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/parsers/engine/v3/parser"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
	"github.com/zishang520/socket.io/v3/pkg/queue"
	"github.com/zishang520/socket.io/v3/pkg/request"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// handshakeTimeout bounds the TCP connect plus the HTTP upgrade of one
// dial. The library's dialer has none, and its Manager's timeout starts
// only after the synchronous dial returned: a server that accepts TCP and
// never answers (a frozen process) held an attempt for as long as it liked.
const handshakeTimeout = attemptTimeout

// keptFrameBuffer is the largest read buffer the reader keeps between
// frames; a rarer, larger frame is read into one that is then let go.
const keptFrameBuffer = 1 << 20

// boundedWebSocket builds the session's Engine.IO websocket transport
// (frameWebSocket): a bounded dial, and frames read into one reused buffer.
//
// It also keeps the dial's error, which the transport emits before anyone
// listens (the Manager subscribes only after the synchronous dial).
type boundedWebSocket struct {
	dialErr *atomic.Pointer[error]
}

var _ engine.TransportCtor = boundedWebSocket{}

func (boundedWebSocket) Name() string { return transports.WEBSOCKET }

func (b boundedWebSocket) New(s engine.Socket, opts engine.SocketOptionsInterface) engine.Transport {
	t := &frameWebSocket{Transport: engine.MakeTransport()}
	t.Prototype(t)
	t.Construct(s, opts)
	if b.dialErr != nil {
		b.dialErr.Store(nil)
		_ = t.On("error", func(args ...any) {
			if err, ok := firstArg(args).(error); ok {
				b.dialErr.Store(&err)
			}
		})
	}
	return t
}

// frameWebSocket is the Engine.IO websocket transport the session uses in
// place of the library's (clients/engine v3.0.1), which it follows in what
// it emits (open, packet, error, close, drain) and how it writes. It exists
// for what the library's does not offer:
//   - a bounded dial (the library's dialer has no handshake timeout);
//   - reads that reuse memory: the library read every frame into a fresh
//     buffer grown by doubling (each growth allocated, zeroed and copied)
//     and its parser copied the payload again the same way: two growing
//     copies of every cycle:update, about 150 of the node's 290 MB
//     allocated in 12 s at 50 cycles/s with a VGA camera (pprof allocs).
//     Here a frame is read into the reader's own buffer and each MESSAGE
//     leaves with one copy of exactly its size, since the packet's data
//     outlives the read (a binary attachment is kept until its event is
//     complete);
//   - writes without the encoder's copy: a MESSAGE packet's bytes go to the
//     websocket writer as they are (the library first copied each, JPEG
//     attachments included, into a new buffer).
type frameWebSocket struct {
	engine.Transport

	dialer *ws.Dialer
	writes *queue.Queue

	mu     sync.Mutex // serialises writes
	conn   atomic.Pointer[ws.Conn]
	wire   atomic.Pointer[batchConn] // conn's TCP connection
	closed atomic.Bool               // OnClose was called for this connection

	frame []byte // the reader's buffer; the reader goroutine's alone
}

func (t *frameWebSocket) Name() string { return transports.WEBSOCKET }

func (t *frameWebSocket) Construct(s engine.Socket, opts engine.SocketOptionsInterface) {
	t.Transport.Construct(s, opts)
	t.writes = queue.New()
	t.dialer = &ws.Dialer{
		Proxy:             http.ProxyFromEnvironment,
		TLSClientConfig:   opts.TLSClientConfig(),
		Subprotocols:      opts.Protocols(),
		EnableCompression: opts.PerMessageDeflate() != nil,
		Jar:               s.CookieJar(),
		HandshakeTimeout:  handshakeTimeout,
		NetDialContext:    t.dialWire,
		// A JPEG attachment in one frame, not in 4 KiB fragments.
		WriteBufferSize: writeBufferSize,
	}
}

// writeBufferSize is the websocket's write buffer: a client's message
// larger than it leaves in fragments of its size.
const writeBufferSize = 64 << 10

// dialWire dials the websocket's TCP connection (under TLS, for wss) as a
// batchConn, which write holds while it writes a batch of packets.
func (t *frameWebSocket) dialWire(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: handshakeTimeout, KeepAlive: 15 * time.Second}
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	w := &batchConn{Conn: c}
	t.wire.Store(w)
	return w, nil
}

func (t *frameWebSocket) DoOpen() {
	headers := http.Header{}
	for k, vs := range t.Opts().ExtraHeaders() {
		for _, v := range vs {
			headers.Add(k, v)
		}
	}
	conn, _, err := t.dialer.Dial(t.uri().String(), headers)
	if err != nil {
		t.Emit("error", err)
		return
	}
	t.conn.Store(conn)
	go t.read(conn)
	t.OnOpen()
}

// uri is the websocket address: the library's query, its timestamp
// parameter when asked, b64 when binary frames are off.
func (t *frameWebSocket) uri() *url.URL {
	schema := "ws"
	if t.Opts().Secure() {
		schema = "wss"
	}
	query := url.Values{}
	for k, vs := range t.Query() {
		for _, v := range vs {
			query.Add(k, v)
		}
	}
	if t.Opts().TimestampRequests() {
		query.Set(t.Opts().TimestampParam(), request.RandomString())
	}
	if !t.SupportsBinary() {
		query.Set("b64", "1")
	}
	return t.CreateUri(schema, query)
}

// read delivers every data frame of conn until the connection ends.
func (t *frameWebSocket) read(conn *ws.Conn) {
	for {
		kind, r, err := conn.NextReader()
		if err == nil {
			t.frame, err = readFrame(t.frame[:0], r)
		}
		if err != nil {
			t.readEnded(err)
			return
		}
		t.deliver(kind, t.frame)
		if cap(t.frame) > keptFrameBuffer {
			t.frame = nil
		}
	}
}

// readFrame appends the rest of r to buf, growing it only when it is full.
func readFrame(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// deliver hands one frame to the socket as the library's parser would
// decode it. A text MESSAGE and a binary frame are the hot path: their
// payload is copied once at its size; every other packet (open, ping,
// close, base64) goes through the library's parser.
func (t *frameWebSocket) deliver(kind int, frame []byte) {
	switch {
	case kind == ws.BinaryMessage:
		t.OnPacket(&packet.Packet{Type: packet.MESSAGE, Data: types.NewBytesBuffer(owned(frame))})
	case len(frame) > 0 && frame[0] == '4':
		t.OnPacket(&packet.Packet{Type: packet.MESSAGE, Data: types.NewStringBuffer(owned(frame[1:]))})
	default:
		p, _ := parser.Parserv4().DecodePacket(types.NewStringBuffer(frame))
		t.OnPacket(p)
	}
}

// owned is a copy of b of exactly its size (make and copy together do not
// zero the memory first).
func owned(b []byte) []byte {
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

// readEnded reports the end of the reader as the library does: a close
// frame or a closed connection is the transport's close, anything else an
// error (after which the socket closes the transport).
func (t *frameWebSocket) readEnded(err error) {
	if ws.IsUnexpectedCloseError(err) || errors.Is(err, net.ErrClosed) {
		t.onClose()
		return
	}
	t.OnError("websocket error", err, nil)
}

func (t *frameWebSocket) onClose() {
	if t.closed.CompareAndSwap(false, true) {
		t.OnClose(engine.NewTransportError("websocket connection closed", nil, nil).Err())
	}
}

func (t *frameWebSocket) Write(packets []*packet.Packet) {
	t.SetWritable(false)
	t.writes.Enqueue(func() { t.write(packets) })
}

// write sends packets one frame each, all frames with one write to the
// TCP connection, then reports the transport writable and drained (from
// the queue's goroutine, after Write returned, as the library does: the
// socket clears its write buffer in between).
func (t *frameWebSocket) write(packets []*packet.Packet) {
	defer func() {
		t.SetWritable(true)
		t.Emit("drain")
	}()
	t.mu.Lock()
	wire := t.wire.Load()
	if wire != nil {
		wire.hold()
	}
	var err error
	for _, p := range packets {
		if err = t.writePacket(p); err != nil {
			break
		}
	}
	if wire != nil {
		if serr := wire.send(); err == nil {
			err = serr
		}
	}
	t.mu.Unlock()
	if err != nil {
		t.OnError("websocket error", err, nil)
	}
}

// writePacket writes one packet as one frame; t.mu is held.
func (t *frameWebSocket) writePacket(p *packet.Packet) error {
	conn := t.conn.Load()
	if conn == nil {
		return net.ErrClosed
	}
	kind, head, body, ok := t.frameOf(p)
	if !ok {
		data, err := parser.Parserv4().EncodePacket(p, t.SupportsBinary())
		if err != nil {
			return err
		}
		kind, head, body = ws.BinaryMessage, nil, data.Bytes()
		if _, text := data.(*types.StringBuffer); text {
			kind = ws.TextMessage
		}
	}
	compress := t.Opts().PerMessageDeflate() != nil &&
		(p.Options == nil || p.Options.Compress == nil || *p.Options.Compress) &&
		len(head)+len(body) >= t.Opts().PerMessageDeflate().Threshold
	conn.EnableWriteCompression(compress)
	w, err := conn.NextWriter(kind)
	if err != nil {
		return err
	}
	if _, err = w.Write(head); err == nil {
		_, err = w.Write(body)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}

// frameOf is a MESSAGE packet's frame without a copy: a text payload after
// its type byte, a binary one as it is. ok is false for anything else,
// which the library's encoder frames.
func (t *frameWebSocket) frameOf(p *packet.Packet) (kind int, head, body []byte, ok bool) {
	if p.Type != packet.MESSAGE {
		return 0, nil, nil, false
	}
	switch d := p.Data.(type) {
	case *types.StringBuffer:
		return ws.TextMessage, messageByte, d.Bytes(), true
	case *types.BytesBuffer, ownedBytes:
		if t.SupportsBinary() {
			return ws.BinaryMessage, nil, d.(types.BufferInterface).Bytes(), true
		}
	}
	return 0, nil, nil, false
}

var messageByte = []byte{'4'}

func (t *frameWebSocket) DoClose() {
	t.writes.TryClose()
	// Not under t.mu: closing the connection is what ends a write blocked
	// on a peer that stopped reading.
	if conn := t.conn.Load(); conn != nil {
		_ = conn.Close()
		t.onClose()
	}
}

// honourClose makes an Engine.IO CLOSE packet end the connection at once.
// The library's websocket transport ignores CLOSE (only polling handles
// it), and async python-socketio sends CLOSE on shutdown but keeps the
// websocket open until its ping timeout: the brain's going away was
// noticed 45 s late.
//
// It also stamps each MESSAGE packet's arrival: this listener runs on the
// transport's reader right after the frame was read, before the JSON is
// decoded and the event handed on (direct.go), so the stamp is the closest
// the session gets to "the bytes were read".
func (s *Session) honourClose(e engine.Socket) {
	_ = e.On("packet", func(args ...any) {
		p, ok := firstArg(args).(*packet.Packet)
		if !ok {
			return
		}
		switch p.Type {
		case packet.MESSAGE:
			s.readAt.Store(time.Now().UnixNano())
		case packet.CLOSE:
			s.stats.add(func(st *SessionStats) { st.ServerCloses++ })
			go e.Close()
		}
	})
}
