package brain

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	ws "github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zishang520/socket.io/parsers/engine/v3/packet"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// recordingConn is a net.Conn that keeps each Write's bytes, and fails
// them all once failWith is set.
type recordingConn struct {
	net.Conn
	mu       sync.Mutex
	writes   [][]byte
	failWith error
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failWith != nil {
		return 0, c.failWith
	}
	c.writes = append(c.writes, bytes.Clone(p))
	if c.Conn != nil {
		return c.Conn.Write(p)
	}
	return len(p), nil
}

func (c *recordingConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

func TestBatchConnHoldsWritesUntilSend(t *testing.T) {
	rec := &recordingConn{}
	c := &batchConn{Conn: rec}

	_, err := c.Write([]byte("a"))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("a")}, rec.writes, "outside a batch a write goes straight through")

	c.hold()
	for _, p := range []string{"b", "cd", "e"} {
		n, err := c.Write([]byte(p))
		require.NoError(t, err)
		assert.Equal(t, len(p), n)
	}
	assert.Len(t, rec.writes, 1, "nothing leaves while the batch is held")
	require.NoError(t, c.send())
	assert.Equal(t, [][]byte{[]byte("a"), []byte("bcde")}, rec.writes, "the batch leaves with one write, in order")

	require.NoError(t, c.send(), "an empty batch writes nothing")
	assert.Len(t, rec.writes, 2)

	c.hold()
	_, err = c.Write(make([]byte, keptBatchBuffer+1))
	require.NoError(t, err)
	require.NoError(t, c.send())
	assert.Nil(t, c.held, "a batch larger than the kept buffer does not stay resident")

	rec.failWith = errors.New("connection reset")
	c.hold()
	_, err = c.Write([]byte("f"))
	require.NoError(t, err)
	assert.ErrorIs(t, c.send(), rec.failWith, "the batch's write error is send's")
	_, err = c.Write([]byte("g"))
	assert.ErrorIs(t, err, rec.failWith, "after send, writes go straight through again")
}

// TestWriteSendsItsPacketsWithOneWrite: a batch of packets (an event with a
// JPEG attachment larger than the library's 4 KiB fragments, and another
// event) reaches the TCP connection as one write, and the server reads the
// same messages, whole, in order.
func TestWriteSendsItsPacketsWithOneWrite(t *testing.T) {
	conns := make(chan *ws.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := (&ws.Upgrader{}).Upgrade(w, r, nil); err == nil {
			conns <- c
		}
	}))
	t.Cleanup(srv.Close)
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	tr := newTestTransport()
	d := ws.Dialer{NetDialContext: tr.dialWire, WriteBufferSize: writeBufferSize}
	client, _, err := d.Dial(url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	tr.conn.Store(client)
	peer := <-conns
	t.Cleanup(func() { _ = peer.Close() })

	wire := tr.wire.Load()
	require.NotNil(t, wire, "the dial goes through dialWire")
	rec := &recordingConn{Conn: wire.Conn}
	wire.Conn = rec

	jpeg := bytes.Repeat([]byte{0xff, 0xd8, 0x42}, 12_000)
	tr.write([]*packet.Packet{
		{Type: packet.MESSAGE, Data: types.NewStringBufferString(`451-["io:chunk",{"data":{"_placeholder":true,"num":0}}]`)},
		{Type: packet.MESSAGE, Data: types.NewBytesBuffer(jpeg)},
		{Type: packet.MESSAGE, Data: types.NewStringBufferString(`42["learn:reward",{"reward":1}]`)},
	})
	assert.Equal(t, 1, rec.count(), "one write for the whole batch")

	for _, want := range []struct {
		kind int
		data []byte
	}{
		{ws.TextMessage, []byte(`4451-["io:chunk",{"data":{"_placeholder":true,"num":0}}]`)},
		{ws.BinaryMessage, jpeg},
		{ws.TextMessage, []byte(`442["learn:reward",{"reward":1}]`)},
	} {
		kind, data, err := peer.ReadMessage()
		require.NoError(t, err)
		assert.Equal(t, want.kind, kind)
		assert.Equal(t, want.data, data)
	}
}
