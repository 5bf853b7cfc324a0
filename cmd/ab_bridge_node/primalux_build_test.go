package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/localdevice"
	"github.com/abbridge/ab_bridge/internal/primalux"
)

const buildTestKey = "plx_cmd_build_test_key"

// noOutputDesign is a design the designer takes and the stand-in cannot
// run (nothing to decode): it refuses the build with INVALID_DESIGN.
const noOutputDesign = `{"schema":"artificial-brains/design/v1","name":"Deaf","nodes":[{"name":"SENSE","kind":"input","neurons":4},
	{"name":"HUB","kind":"opu","rhythm":"beta","tnorm":2}],"connections":[{"from":"SENSE","to":"HUB"}]}`

// syncBuffer is a log sink the device's timers and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newBuildStandIn is the in-process stand-in with no brain installed and
// a client of it; both are closed by the test.
func newBuildStandIn(t *testing.T, delay time.Duration) *primalux.Client {
	t.Helper()
	dev, err := localdevice.New(localdevice.Config{APIKey: buildTestKey, TickRate: 50, StepsPerFrame: 2, Seed: 1,
		Heartbeat: time.Hour, BuildDelay: delay, Rewards: []string{"REWARD"},
		Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	require.NoError(t, err)
	srv := httptest.NewServer(dev.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = dev.Close() })
	key, err := primalux.NewKey(buildTestKey)
	require.NoError(t, err)
	c, err := primalux.New(primalux.Options{URL: srv.URL, Key: key})
	require.NoError(t, err)
	return c
}

// TestBuildDeviceBrain: primalux.build against the stand-in: the example's
// design built, installed and READY, progress logged, a second start
// skipping the build; a refused build, a build that outlasts the timeout
// and a contract JSON each end with a clear error, and the key is in no
// log line.
func TestBuildDeviceBrain(t *testing.T) {
	design := filepath.Join("..", "..", "config", "prima_lux_arm.abdesign.json")
	dir := t.TempDir()
	deaf := filepath.Join(dir, "deaf.abdesign.json")
	require.NoError(t, os.WriteFile(deaf, []byte(noOutputDesign), 0o600))
	contractJSON := filepath.Join(dir, "contract.json")
	require.NoError(t, os.WriteFile(contractJSON, []byte(`{"inputs":[{"id":"SENSE","n":4}],"outputs":[{"id":"MOTOR","n":4}]}`), 0o600))

	tests := []struct {
		name    string
		file    string
		delay   time.Duration
		timeout time.Duration
		twice   bool
		err     string
		logs    []string
	}{
		{name: "built and installed", file: design, delay: 600 * time.Millisecond, timeout: time.Minute,
			logs: []string{"brain build started", "brain build in progress", "status=BUILDING", "brain built and installed"}},
		{name: "installed already: skipped", file: design, delay: 50 * time.Millisecond, timeout: time.Minute, twice: true,
			logs: []string{"brain built and installed", "brain build skipped: the device has this design installed"}},
		{name: "refused by the device", file: deaf, delay: 50 * time.Millisecond, timeout: time.Minute,
			err: "[INVALID_DESIGN]", logs: []string{"brain build started", "brain build failed", "INVALID_DESIGN"}},
		{name: "outlasts the timeout", file: design, delay: time.Hour, timeout: 700 * time.Millisecond,
			err: "stopped waiting for the brain build", logs: []string{"brain build started", "brain build failed"}},
		{name: "a contract JSON", file: contractJSON, delay: 50 * time.Millisecond, timeout: time.Minute,
			err: "is a contract JSON, not a design file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := newBuildStandIn(t, tc.delay)
			var out syncBuffer
			log := slog.New(slog.NewTextHandler(&out, nil))
			err := buildDeviceBrain(context.Background(), log, client, tc.file, tc.timeout, 0)
			if tc.twice {
				require.NoError(t, err)
				err = buildDeviceBrain(context.Background(), log, client, tc.file, tc.timeout, 0)
			}
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.Contains(t, err.Error(), tc.file, "the error names the design")
			} else {
				require.NoError(t, err)
				st, err := client.Status(context.Background())
				require.NoError(t, err)
				d, err := os.ReadFile(tc.file)
				require.NoError(t, err)
				pd, err := primalux.ParseDesign(d)
				require.NoError(t, err)
				assert.Equal(t, "READY", st.Engine.State)
				assert.True(t, st.Engine.HasBrain)
				assert.Equal(t, pd.Digest, st.Package.Active.DesignSHA256, "this design installed")
			}
			for _, w := range tc.logs {
				assert.Contains(t, out.String(), w)
			}
			assert.NotContains(t, out.String(), buildTestKey)
			if tc.twice {
				assert.Equal(t, 1, strings.Count(out.String(), "brain build started"), "one build for two starts")
			}
		})
	}
}

// A node told to stop during a build ends it without calling it failed.
func TestBuildDeviceBrainInterrupted(t *testing.T) {
	client := newBuildStandIn(t, time.Hour)
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	ctx, cancel := context.WithCancel(context.Background())
	progress := 0
	err := buildDeviceBrain(ctx, log, brainBuilderFunc{client, func(p primalux.BuildProgress) {
		if progress++; progress == 2 { // BUILDING answered and polled once: the node is told to stop
			cancel()
		}
	}}, filepath.Join("..", "..", "config", "prima_lux_arm.abdesign.json"), time.Minute, 0)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, out.String(), "brain build interrupted: the node is stopping")
	assert.NotContains(t, out.String(), "brain build failed")
}

// brainBuilderFunc is the client with a hook on the build's progress.
type brainBuilderFunc struct {
	*primalux.Client
	hook func(primalux.BuildProgress)
}

func (b brainBuilderFunc) BuildDesign(ctx context.Context, d primalux.Design, w primalux.WaitOptions, progress func(primalux.BuildProgress)) (primalux.Built, error) {
	return b.Client.BuildDesign(ctx, d, w, func(p primalux.BuildProgress) { progress(p); b.hook(p) })
}

// The progress lines are at most one per logEvery: with a long interval a
// build of several polls logs its first answer only.
func TestBuildDeviceBrainThrottlesProgress(t *testing.T) {
	client := newBuildStandIn(t, 1500*time.Millisecond)
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	require.NoError(t, buildDeviceBrain(context.Background(), log, client,
		filepath.Join("..", "..", "config", "prima_lux_arm.abdesign.json"), time.Minute, time.Hour))
	assert.Equal(t, 1, strings.Count(out.String(), "brain build in progress"), out.String())
	assert.Contains(t, out.String(), "brain built and installed")
}
