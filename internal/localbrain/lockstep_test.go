package localbrain

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startWith starts a demo run with the given start body.
func startWith(t *testing.T, s *Server, body string) string {
	t.Helper()
	code, resp := call(t, "POST", s.URL()+"/api/robot/demo/start", s.conf.APIKey, body)
	require.Equal(t, http.StatusOK, code, "%v", resp)
	id, _ := resp["runId"].(string)
	require.NotEmpty(t, id)
	return id
}

// rewardingArm answers every need like answerArm and rewards the cycle
// before it, as a reward policy scoring each update does.
func rewardingArm(c *testClient, need map[string]any) {
	if cycle, _ := need["cycle"].(float64); cycle > 1 {
		_ = c.sock.Emit("learn:reward", map[string]any{
			"runId": need["runId"], "cycle": cycle - 1, "globalReward": 0.8,
			"byLayer": map[string]any{"motor": 0.8},
		})
	}
	answerArm(0.3, -0.2)(c, need)
}

// With every need answered at once, a lock-step run does not wait for its
// interval: 20 cycles paced at 1 s would take 20 s.
func TestLockStepRunsAsFastAsAnswered(t *testing.T) {
	const interval = time.Second
	const cycles = 20
	s := newTestServer(t, Config{CycleInterval: interval})
	runID := startWith(t, s, `{"lockStep": true}`)
	c := dial(t, s, clientConf{join: runID, answer: rewardingArm})

	first := next(t, c.updates, "first cycle:update")
	start := time.Now()
	last := first["cycle"].(float64)
	bound := time.After(10 * time.Second)
	for got := 1; got < cycles; got++ {
		select {
		case u := <-c.updates:
			assert.Equal(t, last+1, u["cycle"], "cycles count up by one")
			last = u["cycle"].(float64)
		case <-bound:
			t.Fatalf("%d cycle:update in 10 s; paced at %s there would be 10", got, interval)
		}
	}
	elapsed := time.Since(start)
	t.Logf("%d cycles in %s", cycles-1, elapsed)
	assert.Less(t, elapsed, (cycles-1)*interval/2, "well under the paced duration")

	require.Eventually(t, func() bool {
		l := ioState(t, s)["learning"].(map[string]any)
		return l["rewardsApplied"].(float64) > 0
	}, waitFor, 20*time.Millisecond, "the client's rewards reach the network")
	state := ioState(t, s)
	l := state["learning"].(map[string]any)
	assert.Equal(t, true, l["lockStep"])
	assert.Equal(t, true, l["enabled"])
	assert.Positive(t, l["weightChange"], "learning is on: applied rewards move weights")
	assert.Positive(t, state["received"].(map[string]any)["rewards"])
	assert.Empty(t, state["received"].(map[string]any)["missedNeeds"], "every need was answered")
}

// An unanswered need holds each lock-step cycle until its deadline, and no
// longer: the run advances one cycle per deadline, not per interval.
func TestLockStepAdvancesAtTheDeadline(t *testing.T) {
	const interval = time.Second
	const deadline = 100 * time.Millisecond
	const cycles = 5
	s := newTestServer(t, Config{CycleInterval: interval, LockStepDeadline: deadline})
	runID := startWith(t, s, `{"lockStep": true}`)
	noCamera := func(c *testClient, need map[string]any) {
		needs := need["needs"].([]any)
		kept := make([]any, 0, len(needs))
		for _, n := range needs {
			if n.(map[string]any)["id"] != DemoCameraInput {
				kept = append(kept, n)
			}
		}
		answerArm(0, 0)(c, map[string]any{"runId": need["runId"], "cycle": need["cycle"], "needs": kept})
	}
	c := dial(t, s, clientConf{join: runID, answer: noCamera})

	next(t, c.updates, "first cycle:update")
	start := time.Now()
	for range cycles {
		next(t, c.updates, "cycle:update")
	}
	elapsed := time.Since(start)
	t.Logf("%d cycles in %s", cycles, elapsed)
	assert.GreaterOrEqual(t, elapsed, cycles*deadline, "each cycle waited for the missing need")
	assert.Less(t, elapsed, cycles*interval/2, "but not for the interval")
	missed := received(t, s)["missedNeeds"].(map[string]any)
	assert.GreaterOrEqual(t, missed[DemoCameraInput], float64(cycles))
	assert.NotContains(t, missed, "shoulder_pos", "answered needs are not missed")
}
