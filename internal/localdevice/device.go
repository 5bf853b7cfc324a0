package localdevice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// Engine states as the device reports them (status engine.state).
const (
	StateIdle     = "IDLE" // no brain installed
	StateReady    = "READY"
	StateRunning  = "RUNNING"
	StateStopping = "STOPPING"
	StateStopped  = "STOPPED"
)

// Defaults of Config's zero values.
const (
	DefaultTickRate      = 20.0
	DefaultStepsPerFrame = 10
	DefaultReplayFrames  = 1024
	DefaultQueue         = 256
	DefaultHeartbeat     = 15 * time.Second
	DefaultStopDelay     = 200 * time.Millisecond
	DefaultBuildDelay    = 500 * time.Millisecond
)

// Config is one device's settings.
type Config struct {
	Addr          string        // listen address; Serve needs it, Handler does not
	APIKey        string        // the developer key, plx_...; required
	Brain         *Brain        // the installed brain; nil: none (state IDLE)
	TickRate      float64       // frames per second while running
	StepsPerFrame int           // network timesteps per frame
	Seed          uint64        // the network's noise and initial weights
	NoLearning    bool          // rewards change no weight
	ReplayFrames  int           // frames kept for reconnecting streams
	Queue         int           // sensor frames waiting for the next tick, at most
	Heartbeat     time.Duration // a comment line on idle streams this often
	StopDelay     time.Duration // how long Stop takes (the device saves its dynamics)
	BuildDelay    time.Duration // how long a brain build takes (0: DefaultBuildDelay)
	Rewards       []string      // input populations of built brains that carry the reward
	Faults        bool          // serve the fault knobs under /standin/
	Logger        *slog.Logger
}

func (c *Config) defaults() error {
	c.Rewards = slices.Clone(c.Rewards)
	if !strings.HasPrefix(c.APIKey, "plx_") || len(c.APIKey) < 8 {
		return errors.New("the API key must begin plx_ and have at least 4 more characters")
	}
	if c.TickRate == 0 {
		c.TickRate = DefaultTickRate
	}
	if c.TickRate < 0 || c.TickRate > 1000 {
		return fmt.Errorf("tick rate %g, want up to 1000 frames/s", c.TickRate)
	}
	if c.StepsPerFrame == 0 {
		c.StepsPerFrame = DefaultStepsPerFrame
	}
	if c.StepsPerFrame < 0 || c.StepsPerFrame > 1000 {
		return fmt.Errorf("%d steps per frame, want 1 to 1000", c.StepsPerFrame)
	}
	if c.ReplayFrames <= 0 {
		c.ReplayFrames = DefaultReplayFrames
	}
	if c.Queue <= 0 {
		c.Queue = DefaultQueue
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.StopDelay < 0 {
		c.StopDelay = 0
	}
	if c.BuildDelay <= 0 {
		c.BuildDelay = DefaultBuildDelay
	}
	if c.Brain != nil {
		for _, p := range c.Brain.Inputs {
			if p.Reward && !slices.Contains(c.Rewards, p.ID) {
				c.Rewards = append(c.Rewards, p.ID)
			}
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// sensorFrame is one accepted POST /api/brain/sensor, waiting for a tick.
type sensorFrame map[string][]float64

// Counters are what the device counted since it started (a restart keeps
// them: they belong to the stand-in, not to the emulated device).
type Counters struct {
	SensorFrames   int `json:"sensor_frames"`   // accepted
	SensorRejected int `json:"sensor_rejected"` // answered 4xx/5xx
	Rewards        int `json:"rewards"`         // reward populations among the accepted
	Frames         int `json:"frames"`          // output frames produced
	StreamDrops    int `json:"stream_drops"`    // streams closed because the client lagged
	Unauthorized   int `json:"unauthorized"`
	Injected       int `json:"injected"` // answers replaced by a fault
	Restarts       int `json:"restarts"`
}

// Device is a local stand-in for a Prima-Lux device: its HTTP API, its
// engine states and its output stream, with the local brain's network
// producing the outputs.
type Device struct {
	conf     Config
	deviceID string
	handler  http.Handler

	mu        sync.Mutex
	state     string
	brain     *Brain
	epoch     string
	seq       int // the last frame's sequence in this epoch
	step      int // neural timesteps run in this epoch
	netGen    int // bumped when the network must start over
	queue     []sensorFrame
	ring      []frame // the newest ReplayFrames frames of this epoch, oldest first
	subs      map[*subscriber]struct{}
	stopTimer *time.Timer
	stopDelay time.Duration
	faults    []fault
	counters  Counters
	learning  localbrain.LearningStats // the network's, after its last step
	builds    map[string]*build
	build     *build // the latest

	quit chan struct{}
	done chan struct{}
	srv  *http.Server
	once sync.Once
}

// New makes a device and starts its engine's ticker; Close stops it.
func New(conf Config) (*Device, error) {
	if err := conf.defaults(); err != nil {
		return nil, fmt.Errorf("localdevice: %w", err)
	}
	d := &Device{
		conf: conf, deviceID: "standin-" + token(4), brain: conf.Brain,
		subs: map[*subscriber]struct{}{}, stopDelay: conf.StopDelay, builds: map[string]*build{},
		quit: make(chan struct{}), done: make(chan struct{}),
	}
	d.state = StateIdle
	if d.brain != nil {
		d.state = StateReady
	}
	d.epoch = token(8)
	d.handler = d.routes()
	go d.tickLoop()
	return d, nil
}

// Handler serves the device's API.
func (d *Device) Handler() http.Handler { return d.handler }

// Serve listens on Config.Addr and serves until Close.
func (d *Device) Serve() (string, error) {
	ln, err := net.Listen("tcp", d.conf.Addr)
	if err != nil {
		return "", fmt.Errorf("localdevice: %w", err)
	}
	d.srv = &http.Server{Handler: d.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.conf.Logger.Error("device server ended", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close ends the streams, the server and the ticker.
func (d *Device) Close() error {
	var err error
	d.once.Do(func() {
		close(d.quit)
		<-d.done
		d.mu.Lock()
		d.dropStreamsLocked()
		if d.stopTimer != nil {
			d.stopTimer.Stop()
		}
		d.mu.Unlock()
		if d.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err = d.srv.Shutdown(ctx)
		}
	})
	return err
}

// Counters reports what the device counted.
func (d *Device) Counters() Counters {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.counters
}

// token is n random bytes in hex: epochs and ids that differ per start.
func token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newEpochLocked starts a new frame sequence: the stream's cursors of the
// old one are void, and its streams are told so (reset) when tell is set,
// or dropped like a device that went away otherwise.
func (d *Device) newEpochLocked(reason string, tell bool) {
	old := d.epoch
	d.epoch = token(8)
	d.seq, d.step = 0, 0
	d.ring = d.ring[:0]
	d.queue = d.queue[:0]
	if tell {
		ev := resetEvent(old, d.epoch, reason)
		for s := range d.subs {
			s.finish(ev)
			delete(d.subs, s)
		}
	} else {
		d.dropStreamsLocked()
	}
	d.conf.Logger.Info("new epoch", "epoch", d.epoch, "reason", reason)
}

// tickLoop steps the network once per tick while the engine runs. It owns
// the network: a reset only bumps netGen, and the next tick builds it anew.
func (d *Device) tickLoop() {
	defer close(d.done)
	interval := time.Duration(float64(time.Second) / d.conf.TickRate)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var net *localbrain.VectorNet
	gen := -1
	for {
		select {
		case <-d.quit:
			return
		case <-ticker.C:
		}
		d.mu.Lock()
		if d.state != StateRunning || d.brain == nil {
			d.mu.Unlock()
			continue
		}
		brain, epoch, queue := d.brain, d.epoch, d.queue
		d.queue = nil
		if gen != d.netGen {
			gen, net = d.netGen, nil
		}
		d.mu.Unlock()
		if net == nil {
			var err error
			if net, err = d.newNet(brain); err != nil {
				d.conf.Logger.Error("cannot build the network", "err", err)
				return
			}
		}
		rows := d.stepNet(net, brain, queue)
		d.mu.Lock()
		if d.epoch == epoch && d.state == StateRunning {
			d.publishLocked(rows, net.Steps())
		}
		d.learning = net.Stats()
		d.mu.Unlock()
	}
}

func (d *Device) newNet(b *Brain) (*localbrain.VectorNet, error) {
	c := localbrain.VectorConfig{Steps: d.conf.StepsPerFrame, Learning: !d.conf.NoLearning, Seed: d.conf.Seed}
	for _, p := range b.Inputs {
		if !p.Reward {
			c.Sensors = append(c.Sensors, localbrain.Population{ID: p.ID, N: p.N})
		}
	}
	for _, p := range b.Outputs {
		c.Outputs = append(c.Outputs, localbrain.Population{ID: p.ID, N: p.N})
	}
	return localbrain.NewVectorNet(c)
}

// stepNet applies the queued frames in order (the latest values of a
// population drive it; every reward population counts, as the share of its
// neurons set) and runs one frame.
func (d *Device) stepNet(net *localbrain.VectorNet, b *Brain, queue []sensorFrame) []localbrain.VectorRow {
	var rewards []float64
	for _, f := range queue {
		for id, values := range f {
			p, _ := b.input(id)
			if p.Reward {
				rewards = append(rewards, share(values))
				continue
			}
			_ = net.Sense(id, values) // validated on receipt
		}
	}
	return net.Step(rewards)
}

// share is the reward a population code carries: the SDK sets the first
// round(r·n) of its n neurons.
func share(values []float64) float64 {
	var on float64
	for _, v := range values {
		on += v
	}
	return on / float64(len(values))
}
