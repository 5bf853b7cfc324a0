package localbrain

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/abbridge/ab_bridge/internal/testsupport"

	sio "github.com/zishang520/socket.io/clients/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitFor = 10 * time.Second

// testClient is a real Go Socket.IO client of the local brain.
type testClient struct {
	sock    *sio.Socket
	needs   chan map[string]any
	updates chan map[string]any
	connErr chan error
}

type clientConf struct {
	key    string            // sent as auth.token and auth.apiKey
	header map[string]string // extra handshake headers
	join   string            // run:join sent once connected, like the SDK (never after a reconnect)
	answer func(c *testClient, need map[string]any)
	reject bool // the server is expected to refuse the connection
}

// dial connects a client: handlers first, then the manager's transport,
// then the namespace. (Letting sio.Connect connect at once loses events
// that come before the handlers are attached, a refusal among them; calling
// Connect() while the manager is still opening can send the namespace
// CONNECT twice. Both are races inside the client v3.0.1.)
func dial(t *testing.T, s *Server, conf clientConf) *testClient {
	t.Helper()
	opts := sio.DefaultOptions()
	opts.SetTransports(types.NewSet(sio.WebSocket))
	opts.SetForceNew(true)
	opts.SetAutoConnect(false)
	opts.SetReconnectionDelay(100)
	opts.SetReconnectionDelayMax(200)
	// The client can miss its engine's open event; a short connect timeout
	// makes it retry soon instead of waiting the default 20 s.
	opts.SetTimeout(2 * time.Second)
	if conf.key != "" {
		opts.SetAuth(map[string]any{"token": conf.key, "apiKey": conf.key})
	}
	if conf.header != nil {
		h := http.Header{}
		for k, v := range conf.header {
			h.Set(k, v)
		}
		opts.SetExtraHeaders(h)
	}
	sock, err := sio.Connect(s.URL()+"/ab", opts)
	require.NoError(t, err)
	c := &testClient{
		sock:    sock,
		needs:   make(chan map[string]any, 1000),
		updates: make(chan map[string]any, 1000),
		connErr: make(chan error, 10),
	}
	t.Cleanup(func() { sock.Disconnect() })
	_ = sock.On("connect_error", func(args ...any) {
		err, _ := args[0].(error)
		if err == nil {
			err = fmt.Errorf("%v", args[0])
		}
		c.connErr <- err
	})
	_ = sock.On("io:need", func(args ...any) {
		need, _ := args[0].(map[string]any)
		if conf.answer != nil {
			conf.answer(c, need)
		}
		c.needs <- need
	})
	_ = sock.On("cycle:update", func(args ...any) {
		u, _ := args[0].(map[string]any)
		c.updates <- u
	})
	openTransport(t, sock)
	sock.Connect()
	if conf.reject {
		return c
	}
	require.Eventually(t, sock.Connected, waitFor, 5*time.Millisecond, "connect")
	if conf.join != "" {
		assert.Equal(t, map[string]any{"ok": true}, c.emitAck(t, "run:join", map[string]any{"runId": conf.join}))
	}
	return c
}

// openTransport opens the client's manager, retrying the attempts that
// time out because the client missed its engine's open event.
func openTransport(t *testing.T, sock *sio.Socket) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		opened := make(chan error, 1)
		sock.Io().Open(func(err error) {
			select {
			case opened <- err:
			default:
			}
		})
		select {
		case err := <-opened:
			if err == nil {
				return
			}
			require.Less(t, attempt, 3, "opening the transport: %v", err)
		case <-time.After(waitFor):
			t.Fatal("the transport did not open")
		}
	}
}

// waitReconnected waits until the client is connected again as a new socket.
func (c *testClient) waitReconnected(t *testing.T, before string) {
	t.Helper()
	require.Eventually(t, func() bool { return c.sock.Connected() && c.sock.Id() != before }, waitFor, 5*time.Millisecond, "reconnect")
}

func next(t *testing.T, ch chan map[string]any, what string) map[string]any {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("no %s within %s", what, waitFor)
		return nil
	}
}

// emitAck emits and waits for the server's acknowledgement.
func (c *testClient) emitAck(t *testing.T, event string, args ...any) map[string]any {
	t.Helper()
	got := make(chan map[string]any, 1)
	c.sock.EmitWithAck(event, args...)(func(a []any, err error) {
		if err != nil || len(a) == 0 {
			got <- map[string]any{"ackError": fmt.Sprint(err)}
			return
		}
		m, _ := a[0].(map[string]any)
		got <- m
	})
	return next(t, got, event+" ack")
}

// answerArm answers every need: joints at fixed positions, zero deviation,
// a small gray camera frame.
func answerArm(shoulder, elbow float32) func(c *testClient, need map[string]any) {
	return func(c *testClient, need map[string]any) {
		run, _ := need["runId"].(string)
		for _, n := range need["needs"].([]any) {
			id := n.(map[string]any)["id"].(string)
			switch id {
			case "shoulder_pos":
				_ = c.sock.Emit("io:chunk", rawtick(run, id, shoulder))
			case "elbow_pos":
				_ = c.sock.Emit("io:chunk", rawtick(run, id, elbow))
			case "shoulder_fb":
				_ = c.sock.Emit("io:chunk", map[string]any{
					"runId": run, "inputId": id, "kind": "Feedback", "seq": 1, "t": 1.0,
					"format": "deviation_f32", "meta": map[string]any{"T": 64, "cycle": need["cycle"]},
					"data": types.NewBytesBuffer(make([]byte, 64*4)),
				})
			case DemoCameraInput:
				_ = c.sock.Emit("io:chunk", map[string]any{
					"runId": run, "inputId": id, "kind": "Image", "seq": 1, "t": 1.0,
					"format": "jpeg", "meta": map[string]any{"width": 1, "height": 1, "cycle": need["cycle"]},
					"data": types.NewBytesBuffer(tinyJPEG(nil, 128)),
				})
			}
		}
	}
}

func ioState(t *testing.T, s *Server) map[string]any {
	t.Helper()
	code, body := call(t, "GET", s.URL()+"/api/robot/demo/io/state", s.conf.APIKey, "")
	require.Equal(t, 200, code, "%v", body)
	return body
}

func received(t *testing.T, s *Server) map[string]any {
	return ioState(t, s)["received"].(map[string]any)
}

func TestRealtimeAuth(t *testing.T) {
	s := newTestServer(t, Config{APIKey: testKey})
	tests := []struct {
		name   string
		conf   clientConf
		accept bool
	}{
		{"no key", clientConf{}, false},
		{"wrong token", clientConf{key: "nope"}, false},
		{"auth token", clientConf{key: testKey}, true},
		{"x-api-key header", clientConf{header: map[string]string{"x-api-key": testKey}}, true},
		{"bearer header", clientConf{header: map[string]string{"Authorization": "Bearer " + testKey}}, true},
		{"wrong bearer", clientConf{header: map[string]string{"Authorization": "Bearer nope"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.conf.reject = !tc.accept
			c := dial(t, s, tc.conf)
			if tc.accept {
				return
			}
			select {
			case err := <-c.connErr:
				assert.Contains(t, err.Error(), "unauthorized")
			case <-time.After(waitFor):
				t.Fatal("no connect_error")
			}
			assert.False(t, c.sock.Connected())
		})
	}
}

func TestCycleLoop(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: 40 * time.Millisecond, NeedDeadline: 2 * time.Second, Seed: 9})
	runID := startRun(t, s, "")
	// Shoulder far below its target, elbow far above its own.
	c := dial(t, s, clientConf{join: runID, answer: answerArm(-2, 2)})

	var lastCycle float64
	shoulder, elbow, spikes := 0, 0, 0
	for i := range 5 {
		need := next(t, c.needs, "io:need")
		assert.Equal(t, runID, need["runId"])
		assert.Equal(t, 2000.0, need["deadlineMs"])
		assert.Equal(t, []any{
			map[string]any{"id": "shoulder_pos", "kind": "Proprioception"},
			map[string]any{"id": "elbow_pos", "kind": "Proprioception"},
			map[string]any{"id": "shoulder_fb", "kind": "Feedback"},
			map[string]any{"id": DemoCameraInput, "kind": "Image"},
		}, need["needs"])
		if i > 0 {
			assert.Equal(t, lastCycle+1, need["cycle"], "cycles count up by one")
		}
		lastCycle = need["cycle"].(float64)

		u := next(t, c.updates, "cycle:update")
		assert.Equal(t, runID, u["runId"])
		assert.Equal(t, need["cycle"], u["cycle"])
		rows := u["outputs"].([]any)
		require.Len(t, rows, 64*2)
		for _, r := range rows {
			row := r.(map[string]any)
			assert.GreaterOrEqual(t, row["t"], 0.0)
			assert.Less(t, row["t"], 64.0)
			bits := row["bits"].([]any)
			require.Len(t, bits, 32)
			ints := make([]int, len(bits))
			for k, b := range bits {
				ints[k] = int(b.(float64))
				spikes += ints[k]
			}
			switch row["id"] {
			case "shoulder_motor":
				shoulder += bipolar(ints)
			case "elbow_motor":
				elbow += bipolar(ints)
			default:
				t.Fatalf("unexpected output %v", row["id"])
			}
		}
	}
	// The network knows no target: untrained, its outputs are exploration.
	assert.Positive(t, spikes, "the untrained network still spikes")
	t.Logf("bipolar sums over the cycles: shoulder %d, elbow %d", shoulder, elbow)

	rec := received(t, s)
	chunks := rec["chunks"].(map[string]any)
	for _, id := range []string{"shoulder_pos", "elbow_pos", "shoulder_fb", DemoCameraInput} {
		assert.GreaterOrEqual(t, chunks[id], 5.0, id)
	}
	assert.Empty(t, rec["missedNeeds"], "every need was answered")
	assert.Equal(t, 0.0, rec["malformed"])
}

func TestNeedsMissedAtDeadline(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: 30 * time.Millisecond})
	runID := startRun(t, s, "")
	c := dial(t, s, clientConf{join: runID}) // never answers
	for range 3 {
		u := next(t, c.updates, "cycle:update")
		assert.Len(t, u["outputs"], 128, "a cycle without inputs still steps")
	}
	missed := received(t, s)["missedNeeds"].(map[string]any)
	for _, id := range []string{"shoulder_pos", "elbow_pos", "shoulder_fb", DemoCameraInput} {
		assert.GreaterOrEqual(t, missed[id], 3.0, id)
	}
	need := next(t, c.needs, "io:need")
	assert.Equal(t, 24.0, need["deadlineMs"], "80% of the interval")
}

func TestNoNeedsWithoutSocket(t *testing.T) {
	const interval = 20 * time.Millisecond
	s := newTestServer(t, Config{CycleInterval: interval})
	runID := startRun(t, s, "")
	time.Sleep(10 * interval)
	assert.Equal(t, 0.0, ioState(t, s)["cycle"], "nobody in the room: no cycles")

	c := dial(t, s, clientConf{join: runID})
	next(t, c.needs, "io:need")
	c.sock.Disconnect()
	require.Eventually(t, func() bool {
		r := s.runByID(runID)
		return !s.hasMembers(r)
	}, waitFor, 10*time.Millisecond)
	before := ioState(t, s)["cycle"].(float64)
	time.Sleep(10 * interval)
	assert.LessOrEqual(t, ioState(t, s)["cycle"].(float64), before+1, "at most the cycle in flight")
}

func TestMalformedPayloads(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: time.Hour})
	runID := startRun(t, s, "")
	c := dial(t, s, clientConf{join: runID})
	// Binary buffers are drained when sent: every payload gets its own.
	good := func() map[string]any { return rawtick(runID, "shoulder_pos", 0.1) }
	tests := []struct {
		name    string
		event   string
		args    []any
		wantErr string
	}{
		{"chunk no payload", "io:chunk", nil, "no payload"},
		{"chunk text payload", "io:chunk", []any{"garbage"}, "not a JSON object"},
		{"chunk number payload", "io:chunk", []any{42}, "not a JSON object"},
		{"chunk without runId", "io:chunk", []any{with(good(), "runId", nil)}, "runId is missing"},
		{"chunk unknown run", "io:chunk", []any{with(good(), "runId", "ghost")}, `unknown runId "ghost"`},
		{"chunk without data", "io:chunk", []any{with(good(), "data", nil)}, "want a binary attachment"},
		{"chunk data as text", "io:chunk", []any{with(good(), "data", "AAAAAAAAAAAAAAAA")}, "want a binary attachment"},
		{"chunk short", "io:chunk", []any{with(good(), "data", types.NewBytesBuffer([]byte{1, 2}))}, "needs 12 bytes"},
		{"chunk unknown input", "io:chunk", []any{with(good(), "inputId", "tail")}, "unknown input"},
		{"state not object", "robot:state", []any{map[string]any{"runId": runID, "state": []any{1}}}, "state is []interface {}"},
		{"state q text", "robot:state", []any{map[string]any{"runId": runID, "state": map[string]any{"q": []any{"a"}}}}, "state.q[0]"},
		{"reward too big", "learn:reward", []any{map[string]any{"runId": runID, "cycle": 1, "globalReward": 3}}, "outside [0, 1]"},
		{"reward unknown layer", "learn:reward", []any{map[string]any{"runId": runID, "globalReward": 0.5, "byLayer": map[string]any{"cortex": 0.5}}}, "not an STDP3 layer"},
		{"join unknown run", "run:join", []any{map[string]any{"runId": "ghost"}}, "unknown runId"},
		{"join no object", "run:join", []any{[]any{1, 2}}, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := c.emitAck(t, tc.event, tc.args...)
			assert.Equal(t, false, a["ok"])
			assert.Contains(t, a["error"], tc.wantErr)
		})
	}
	// Without an ack too, and the server still takes good events afterwards.
	require.NoError(t, c.sock.Emit("io:chunk", map[string]any{"runId": runID}))
	assert.Equal(t, map[string]any{"ok": true}, c.emitAck(t, "io:chunk", good()))
	assert.Equal(t, map[string]any{"ok": true}, c.emitAck(t, "robot:state", map[string]any{"runId": runID, "state": map[string]any{"q": []any{0.1, 0.2}}}))
	assert.Equal(t, map[string]any{"ok": true}, c.emitAck(t, "learn:reward", map[string]any{"runId": runID, "cycle": 1, "globalReward": 0.5, "byLayer": map[string]any{"motor": 0.5}}))

	rec := received(t, s)
	assert.Equal(t, float64(len(tests)+1), rec["malformed"])
	assert.Equal(t, map[string]any{"shoulder_pos": 1.0}, rec["chunks"])
	assert.Equal(t, 1.0, rec["states"])
	assert.Equal(t, 1.0, rec["rewards"])
	runs := s.Runs()
	require.Len(t, runs, 1)
	require.Len(t, runs[0].Malformed, len(tests)+1)
	assert.Equal(t, "io:chunk", runs[0].Malformed[0].Event)
	assert.Contains(t, runs[0].Malformed[len(tests)].Reason, "inputId")
	assert.Equal(t, 0, s.Unassigned())
}

func TestMalformedWithoutRun(t *testing.T) {
	s := newTestServer(t, Config{})
	c := dial(t, s, clientConf{})
	a := c.emitAck(t, "io:chunk", rawtick("ghost", "shoulder_pos", 0))
	assert.Contains(t, a["error"], "unknown runId")
	assert.Equal(t, 1, s.Unassigned())
}

func TestRecordedChunkMatchesSent(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: time.Hour})
	runID := startRun(t, s, "")
	c := dial(t, s, clientConf{join: runID})
	c.emitAck(t, "io:chunk", rawtick(runID, "elbow_pos", 1.5))
	runs := s.Runs()
	require.Len(t, runs[0].Chunks, 1)
	ch := runs[0].Chunks[0]
	assert.Equal(t, "elbow_pos", ch.InputID)
	assert.Equal(t, "Proprioception", ch.Kind)
	assert.Equal(t, "rawtick_f32x3", ch.Format)
	assert.Equal(t, int64(1), ch.Seq)
	assert.Equal(t, 12, ch.Len)
	assert.Equal(t, f32s(1.5, 1.5, 0), ch.Data)
	assert.Equal(t, 1.0, ch.Meta["cycle"])
	require.NotEmpty(t, runs[0].Joins)
}

func TestRecordFile(t *testing.T) {
	var buf testsupport.SyncBuffer
	s := newTestServer(t, Config{CycleInterval: time.Hour, Record: &buf})
	runID := startRun(t, s, "")
	c := dial(t, s, clientConf{join: runID})
	c.emitAck(t, "io:chunk", rawtick(runID, "shoulder_pos", 0.25))
	c.emitAck(t, "learn:reward", map[string]any{"runId": runID, "cycle": 3, "globalReward": 0.75, "byLayer": map[string]any{"motor": 0.75}})
	c.emitAck(t, "io:chunk", "garbage")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var events []map[string]any
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		events = append(events, m)
	}
	require.Len(t, events, 4, "run:join, chunk, reward, garbage")
	assert.Equal(t, "run:join", events[0]["event"])
	chunk := events[1]
	assert.Equal(t, "io:chunk", chunk["event"])
	assert.Equal(t, runID, chunk["run"])
	assert.NotEmpty(t, chunk["socket"])
	assert.Equal(t, base64.StdEncoding.EncodeToString(f32s(0.25, 0.25, 0)), chunk["payload"].(map[string]any)["data"])
	_, err := time.Parse(time.RFC3339Nano, chunk["time"].(string))
	assert.NoError(t, err)
	reward := events[2]["payload"].(map[string]any)
	assert.Equal(t, 0.75, reward["globalReward"])
	assert.Equal(t, "garbage", events[3]["payload"])
}

// A client that reconnects without re-sending run:join (the reference SDK)
// is put back into its run and keeps getting cycles.
func TestReconnectWithoutJoin(t *testing.T) {
	s := newTestServer(t, Config{APIKey: testKey, CycleInterval: 30 * time.Millisecond})
	runID := startRun(t, s, testKey)
	c := dial(t, s, clientConf{key: testKey, join: runID})
	next(t, c.updates, "cycle:update before the kick")

	before := c.sock.Id()
	assert.Equal(t, 1, s.Kick(runID))
	c.waitReconnected(t, before)
	// Drain what was queued before the kick, then demand fresh cycles.
	cutoff := ioState(t, s)["cycle"].(float64)
	for fresh := 0; fresh < 3; {
		if u := next(t, c.updates, "cycle:update after reconnect"); u["cycle"].(float64) > cutoff {
			assert.Equal(t, runID, u["runId"])
			fresh++
		}
	}
	joins := s.Runs()[0].Joins
	var auto int
	for _, j := range joins {
		if j.Auto {
			auto++
		}
	}
	assert.GreaterOrEqual(t, auto, 2, "put back on first connect and on reconnect: %+v", joins)
}

// A socket that joins another run leaves the one it was put into.
func TestJoinMovesBetweenRuns(t *testing.T) {
	s := newTestServer(t, Config{CycleInterval: time.Hour})
	first := startRun(t, s, "")
	c := dial(t, s, clientConf{}) // the only run without a socket: put into it on connect
	require.True(t, s.hasMembers(s.runByID(first)))
	second := startRun(t, s, "")
	assert.Equal(t, map[string]any{"ok": true}, c.emitAck(t, "run:join", map[string]any{"runId": second}))
	assert.False(t, s.hasMembers(s.runByID(first)))
	assert.True(t, s.hasMembers(s.runByID(second)))
	runs := s.Runs()
	require.Len(t, runs[0].Joins, 1)
	assert.True(t, runs[0].Joins[0].Auto)
	require.Len(t, runs[1].Joins, 1)
	assert.False(t, runs[1].Joins[0].Auto)
}

// Two robots under one key, each in its own run: a socket that reconnects
// without run:join is put back into the run it left, never into the other
// robot's (the latest) run, whose cycles it would get. A socket that
// connects while the runs without a socket are ambiguous waits for its
// run:join.
func TestReconnectWithoutJoinInFleet(t *testing.T) {
	s := newTestServer(t, Config{APIKey: testKey, CycleInterval: 30 * time.Millisecond})
	run1 := startRun(t, s, testKey)
	run2 := startRun(t, s, testKey)
	idle := dial(t, s, clientConf{key: testKey})
	assert.False(t, s.hasMembers(s.runByID(run1)), "two runs without a socket: no guess")
	assert.False(t, s.hasMembers(s.runByID(run2)), "two runs without a socket: no guess")
	idle.sock.Disconnect()

	robot1 := dial(t, s, clientConf{key: testKey, join: run1})
	robot2 := dial(t, s, clientConf{key: testKey, join: run2})
	next(t, robot1.updates, "robot 1's cycle:update")
	next(t, robot2.updates, "robot 2's cycle:update")

	before := robot1.sock.Id()
	require.Equal(t, 1, s.Kick(run1))
	robot1.waitReconnected(t, before)
	require.Eventually(t, func() bool { return s.hasMembers(s.runByID(run1)) }, waitFor, 5*time.Millisecond, "robot 1 put back")
	// Cycles after the reconnect come from robot 1's run only.
	cutoff := time.Now()
	for fresh := 0; fresh < 5; {
		u := next(t, robot1.updates, "robot 1's cycle:update after the reconnect")
		assert.Equal(t, run1, u["runId"], "robot 1 got a cycle of robot 2's run")
		if time.Now().After(cutoff.Add(100 * time.Millisecond)) {
			fresh++
		}
	}
	assert.Equal(t, 1, s.members(s.runByID(run2)), "robot 2 alone in its run")
	for _, r := range s.Runs() {
		assert.True(t, r.Stopped.IsZero(), "run %s still running", r.RunID)
	}
}

func TestAdminKickRoute(t *testing.T) {
	s := newTestServer(t, Config{APIKey: testKey, CycleInterval: time.Hour, Admin: true})
	runID := startRun(t, s, testKey)
	c := dial(t, s, clientConf{key: testKey})

	code, _ := call(t, "POST", s.URL()+"/admin/runs/"+runID+"/disconnect", "", "")
	assert.Equal(t, 401, code, "the admin route needs the key too")
	before := c.sock.Id()
	code, body := call(t, "POST", s.URL()+"/admin/runs/"+runID+"/disconnect", testKey, "")
	require.Equal(t, 200, code)
	assert.Equal(t, map[string]any{"ok": true, "runId": runID, "disconnected": 1.0}, body)
	c.waitReconnected(t, before)
	code, _ = call(t, "POST", s.URL()+"/admin/runs/ghost/disconnect", testKey, "")
	assert.Equal(t, 404, code)

	plain := newTestServer(t, Config{})
	resp, err := http.Post(plain.URL()+"/admin/runs/x/disconnect", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode, "no admin route unless enabled")
}

func TestCloseWithClients(t *testing.T) {
	s, err := New(Config{CycleInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	runID := startRun(t, s, "")
	c := dial(t, s, clientConf{join: runID, answer: answerArm(0, 0)})
	next(t, c.updates, "cycle:update")

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		assert.NoError(t, err)
	case <-time.After(waitFor):
		t.Fatal("Close hung")
	}
	assert.False(t, s.Runs()[0].Stopped.IsZero())
	_, err = http.Get(s.URL() + "/api/robot/demo/contract")
	assert.Error(t, err, "listener closed")
	assert.NoError(t, s.Close(), "Close twice is fine")
}
