package brain

import (
	"net"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/clients/engine/v3"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
)

// handshakeTimeout bounds the TCP connect plus the HTTP upgrade of one
// dial. The library's dialer has none, and its Manager's timeout starts
// only after the synchronous dial returned: a server that accepts TCP and
// never answers (a frozen process) held an attempt for as long as it liked.
const handshakeTimeout = attemptTimeout

// boundedWebSocket builds the library's websocket transport with a bounded
// dialer. The library offers no option for it, so the dialer it made is
// reached through reflection; TestDialToAServerThatNeverAnswersIsBounded fails
// the day a library update moves it.
//
// It also keeps the dial's error, which the library emits before anyone
// listens (the Manager subscribes only after the synchronous dial).
type boundedWebSocket struct {
	dialErr *atomic.Pointer[error]
}

var _ engine.TransportCtor = boundedWebSocket{}

func (boundedWebSocket) Name() string { return transports.WEBSOCKET }

func (b boundedWebSocket) New(s engine.Socket, opts engine.SocketOptionsInterface) engine.Transport {
	t := engine.NewWebSocket(s, opts)
	if d := dialerOf(t); d != nil {
		d.HandshakeTimeout = handshakeTimeout
		d.NetDialContext = (&net.Dialer{Timeout: handshakeTimeout, KeepAlive: 15 * time.Second}).DialContext
	}
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

var dialerType = reflect.TypeOf((*ws.Dialer)(nil))

// dialerOf is the gorilla dialer inside the library's websocket transport,
// or nil when it is not where v3.0.1 keeps it.
func dialerOf(t engine.Transport) *ws.Dialer {
	v := reflect.ValueOf(t)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("dialer")
	if !f.IsValid() || f.Type() != dialerType {
		return nil
	}
	return *(**ws.Dialer)(unsafe.Pointer(f.UnsafeAddr()))
}

// honourClose makes an Engine.IO CLOSE packet end the connection at once.
// The library's websocket transport ignores CLOSE (only polling handles
// it), and async python-socketio sends CLOSE on shutdown but keeps the
// websocket open until its ping timeout: the brain's going away was
// noticed 45 s late.
//
// It also stamps each MESSAGE packet's arrival: this listener runs on the
// transport's reader right after the frame was read, before the library
// decodes the JSON and hands the event to its own task goroutine, so the
// stamp is the closest the session gets to "the bytes were read".
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
