package localbrain

import (
	"strings"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A client that sends its namespace CONNECT twice on one transport (the Go
// client v3.0.1 can) is one member of its run, not two. Whether the server
// library makes two sockets or drops the transport depends on timing, so
// the test retries until it has seen the two-socket case.
func TestDuplicateConnectOnOneTransport(t *testing.T) {
	var logs testsupport.SyncBuffer
	s := newTestServer(t, Config{CycleInterval: time.Hour, Logger: newTextLogger(&logs)})
	startRun(t, s, "")
	for attempt := range 100 {
		before := len(s.Runs()[0].Joins)
		if doubleConnect(t, s) {
			require.Eventually(t, func() bool { return strings.Contains(logs.String(), "treated as the same client") },
				waitFor, 5*time.Millisecond, "attempt %d: the twin was never seen\n%s", attempt, logs.String())
			// The library may drop the doubled transport at any moment,
			// so membership can only be bounded; the join record is firm.
			assert.LessOrEqual(t, s.members(nil), 1)
			require.Eventually(t, func() bool { return len(s.Runs()[0].Joins) > before }, waitFor, 5*time.Millisecond)
			joins := s.Runs()[0].Joins[before:]
			require.Len(t, joins, 1, "only the first socket of the transport was put into the run: %+v", joins)
			assert.True(t, joins[0].Auto)
			return
		}
		require.Eventually(t, func() bool { return s.members(nil) == 0 }, waitFor, 5*time.Millisecond)
	}
	t.Fatal("the server never made two sockets on one transport in 100 attempts")
}

// doubleConnect sends two namespace CONNECTs on one raw engine.io
// transport; it reports whether the server answered both (two sockets).
// The transport stays open until the test ends when it did.
func doubleConnect(t *testing.T, s *Server) bool {
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(s.URL(), "http")+"/socket.io/?EIO=4&transport=websocket", nil)
	require.NoError(t, err)
	require.NoError(t, ws.SetReadDeadline(time.Now().Add(waitFor)))
	_, open, err := ws.ReadMessage()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(open), "0{"), "engine open packet, got %q", open)
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("40/ab,{}")))
	require.NoError(t, ws.WriteMessage(websocket.TextMessage, []byte("40/ab,{}")))
	sids := 0
	for sids < 2 {
		_, msg, err := ws.ReadMessage()
		if err != nil { // the library dropped the transport: "invalid state"
			ws.Close()
			return false
		}
		if strings.HasPrefix(string(msg), "40/ab,") {
			sids++
		}
	}
	t.Cleanup(func() { ws.Close() })
	return true
}
