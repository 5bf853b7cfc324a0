package localbrain

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGatedConnHoldsReadsUntilReleased(t *testing.T) {
	tests := []struct {
		name    string
		arm     bool
		release func(c *gatedConn)
		want    string // what the held read returns
	}{
		{"unarmed reads at once", false, nil, "40/ab"},
		{"released by the connection event", true, func(c *gatedConn) { c.release() }, "40/ab"},
		{"released by close", true, func(c *gatedConn) { _ = c.Close() }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			server, client := net.Pipe()
			defer client.Close()
			c := &gatedConn{Conn: server, open: make(chan struct{})}
			defer c.Close()
			if tc.arm {
				c.arm()
			}
			got := make(chan string, 1)
			go func() {
				buf := make([]byte, 8)
				n, _ := c.Read(buf)
				got <- string(buf[:n])
			}()
			go func() { _, _ = client.Write([]byte("40/ab")) }()
			if tc.release != nil {
				select {
				case s := <-got:
					t.Fatalf("read %q before the gate opened", s)
				case <-time.After(50 * time.Millisecond):
				}
				tc.release(c)
			}
			select {
			case s := <-got:
				assert.Equal(t, tc.want, s)
			case <-time.After(waitFor):
				t.Fatal("read never returned")
			}
		})
	}
}

// A client that sends its namespace CONNECT the instant it reads the
// engine's open packet is always answered (the server library alone drops
// some of those CONNECTs: it announces the connection after sending open).
func TestConnectRightAfterOpenIsNeverLost(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: time.Hour})
	url := "ws" + strings.TrimPrefix(s.URL(), "http") + "/socket.io/?EIO=4&transport=websocket"
	for i := range 200 {
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		require.NoError(t, err)
		require.NoError(t, ws.SetReadDeadline(time.Now().Add(2*time.Second)))
		_, open, err := ws.ReadMessage()
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(open), "0{"))
		require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("40/ab,{}")))
		_, reply, err := ws.ReadMessage()
		require.NoError(t, err, "connection %d: CONNECT unanswered", i)
		assert.True(t, strings.HasPrefix(string(reply), "40/ab,{\"sid\""), "connection %d: %q", i, reply)
		ws.Close()
	}
}
