package brain

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	ws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/clients/engine/v3"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	engineparser "github.com/zishang520/socket.io/parsers/engine/v3/parser"
	"github.com/zishang520/socket.io/parsers/socket/v3/parser"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// newTestTransport is a frameWebSocket with the library's default options
// and no socket (nothing here dials), binary frames on.
func newTestTransport() *frameWebSocket {
	t := &frameWebSocket{Transport: engine.MakeTransport()}
	t.Prototype(t)
	t.Transport.Construct(nil, engine.DefaultSocketOptions())
	return t
}

func TestReadFrameReadsTheWholeFrameIntoTheSameBuffer(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"an io:need", 300},
		{"a cycle:update", 60000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := bytes.Repeat([]byte("0123456789"), tc.size/10+1)[:tc.size]
			got, err := readFrame(nil, iotest.HalfReader(bytes.NewReader(want)))
			require.NoError(t, err)
			assert.Equal(t, want, got)

			again, err := readFrame(got[:0], iotest.OneByteReader(bytes.NewReader(want)))
			require.NoError(t, err)
			assert.Equal(t, want, again)
			if cap(got) > tc.size {
				assert.Same(t, &got[:cap(got)][0], &again[:cap(again)][0], "a frame that fits is read into the same memory")
			}
		})
	}
}

func TestReadFrameReturnsTheReadError(t *testing.T) {
	_, err := readFrame(nil, iotest.ErrReader(io.ErrUnexpectedEOF))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestDeliverDecodesAsTheLibrary: every frame becomes the packet the
// library's parser makes of it (type, payload, text or binary), and the
// packet owns its payload: the reader's buffer is reused right after.
func TestDeliverDecodesAsTheLibrary(t *testing.T) {
	for _, tc := range []struct {
		name  string
		kind  int
		frame string
	}{
		{"text message", ws.TextMessage, `42/ab,["cycle:update",{"cycle":7}]`},
		{"empty message", ws.TextMessage, "4"},
		{"open", ws.TextMessage, `0{"sid":"x","pingInterval":25000}`},
		{"ping", ws.TextMessage, "2"},
		{"close", ws.TextMessage, "1"},
		{"base64 attachment", ws.TextMessage, "bAQID"},
		{"unknown type", ws.TextMessage, "9"},
		{"binary attachment", ws.BinaryMessage, "\xff\xd8\xff\xe0jpeg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTransport()
			var got []*packet.Packet
			_ = tr.On("packet", func(args ...any) { got = append(got, firstArg(args).(*packet.Packet)) })
			frame := []byte(tc.frame)
			tr.deliver(tc.kind, frame)
			var in types.BufferInterface = types.NewStringBuffer([]byte(tc.frame))
			if tc.kind == ws.BinaryMessage {
				in = types.NewBytesBuffer([]byte(tc.frame))
			}
			want, _ := engineparser.Parserv4().DecodePacket(in)
			for i := range frame {
				frame[i] = 'x' // the reader's next frame
			}
			require.Len(t, got, 1)
			assert.Equal(t, want.Type, got[0].Type)
			assert.IsType(t, want.Data, got[0].Data)
			assert.Equal(t, want.Data.(types.BufferInterface).Bytes(), got[0].Data.(types.BufferInterface).Bytes())
		})
	}
}

// TestWritePacketFramesAsTheLibrary: what writePacket sends for a packet is
// the frame the library's encoder makes of it, text or binary alike.
func TestWritePacketFramesAsTheLibrary(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    func() *packet.Packet
	}{
		{"text message", func() *packet.Packet {
			return &packet.Packet{Type: packet.MESSAGE, Data: types.NewStringBufferString(`42/ab,["io:chunk",{}]`)}
		}},
		{"binary attachment", func() *packet.Packet {
			return &packet.Packet{Type: packet.MESSAGE, Data: types.NewBytesBuffer([]byte("\xff\xd8jpeg"))}
		}},
		{"owned attachment", func() *packet.Packet {
			return &packet.Packet{Type: packet.MESSAGE, Data: ownedBytes{types.NewBytesBuffer([]byte("\xff\xd8jpeg")).(*types.BytesBuffer)}}
		}},
		{"pong", func() *packet.Packet { return &packet.Packet{Type: packet.PONG} }},
		{"string reader", func() *packet.Packet {
			return &packet.Packet{Type: packet.MESSAGE, Data: strings.NewReader(`2["x"]`)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestTransport()
			kind, frame := framed(t, tr, tc.p())
			want, err := engineparser.Parserv4().EncodePacket(tc.p(), true)
			require.NoError(t, err)
			wantKind := ws.BinaryMessage
			if _, text := want.(*types.StringBuffer); text {
				wantKind = ws.TextMessage
			}
			assert.Equal(t, wantKind, kind)
			assert.Equal(t, want.Bytes(), frame)
		})
	}
}

// framed is the frame writePacket writes for p, read back over a real
// websocket pair.
func framed(t *testing.T, tr *frameWebSocket, p *packet.Packet) (int, []byte) {
	client, server := wsPair(t)
	tr.conn.Store(client)
	require.NoError(t, tr.writePacket(p))
	kind, frame, err := server.ReadMessage()
	require.NoError(t, err)
	return kind, frame
}

func TestOwnedEncoderEncodesAsTheLibraryAndClonesNoAttachment(t *testing.T) {
	jpeg := []byte("\xff\xd8\xff\xe0 a frame")
	p := func() *parser.Packet {
		return &parser.Packet{Type: parser.EVENT, Nsp: "/ab", Data: []any{"io:chunk", map[string]any{"data": jpeg}}}
	}
	want := parser.NewEncoder().Encode(p())
	got := ownedEncoder{parser.NewEncoder()}.Encode(p())
	require.Len(t, got, len(want))
	require.Len(t, got, 2, "a header and one attachment")
	for i := range want {
		assert.Equal(t, want[i].Bytes(), got[i].Bytes())
	}
	assert.IsType(t, &types.StringBuffer{}, got[0], "the header stays text")
	clone := got[1].Clone()
	assert.Same(t, &got[1].Bytes()[0], &clone.Bytes()[0], "the attachment's clone is itself")
}

// wsPair is a connected websocket pair over loopback, closed with the test.
func wsPair(t *testing.T) (client, server *ws.Conn) {
	conns := make(chan *ws.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&ws.Upgrader{}).Upgrade(w, r, nil)
		if err == nil {
			conns <- c
		}
	}))
	t.Cleanup(srv.Close)
	client, _, err := ws.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	server = <-conns
	t.Cleanup(func() { _ = server.Close() })
	return client, server
}
