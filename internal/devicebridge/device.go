package devicebridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/primalux"
	"github.com/abbridge/ab_bridge/internal/spikes"
)

// Bridge is what the device side needs of internal/bridge.
type Bridge interface {
	OnDeviceSteps(cycle int64, steps []map[string]float64)
	OnDeviceHold(reason string)
	OnLink(brain.Link)
	SensedJoints(dst []float64) (why string, ok bool)
	DeviceSamples(ctx context.Context, samples []bridge.DeviceSample) error
	// DeviceAccepted counts the inputs of a frame the device accepted as
	// sent (the inputs status and the stop line read it).
	DeviceAccepted(ids []string)
}

// Config is what a Device is built from.
type Config struct {
	Client   *primalux.Client
	Contract primalux.Contract
	// Joints, Inputs and Mapping are the node's configuration: inputs are
	// the device's sensor populations, the mapping decodes its outputs.
	Joints  []config.Joint
	Inputs  []config.Input
	Mapping []spikes.MappingEntry
	// PrimaLux is the primalux section: frame rate, reward input, encodings.
	PrimaLux config.PrimaLux
	// CycleDuration is trajectory.cycle_duration: one trajectory carries
	// that much of the device's output frames.
	CycleDuration time.Duration
	Replay        bool
	StopTimeout   time.Duration
	Logger        *slog.Logger
	// Backoff bounds (0: 1 s and 5 s) between attempts to open the stream
	// again after it ended, and to start the brain again.
	MinBackoff, MaxBackoff time.Duration
	// Actuation, when set, decodes outputs from each item's
	// actuation.channels (primalux.ActuationDecoder, the SDK's
	// ActuationChannelDecoder) instead of its spikes.
	Actuation []primalux.ActuationEntry
	// SenseSilence is how long the device may go without accepting a
	// sensor frame before the arm is held (the node's silence window,
	// brain.lost_after_cycles × cycle_duration; 0: 20 cycle durations).
	SenseSilence time.Duration
}

// sensor is one input population and how its signal is encoded.
type sensor struct {
	input  primalux.Input
	kind   string // the configured input's: Proprioception, Image, Audio
	joint  int    // Proprioception: the configured joint's index
	colour bool   // Image: an RGB retina
	mode   primalux.Mode
	scale  primalux.Scale
}

// Device is the device side of one bridge. It is also the bridge's Brain
// port: rewards land here and go out with the next sensor frame.
type Device struct {
	conf    Config
	log     *slog.Logger
	client  *primalux.Client
	sensors []sensor
	reward  *primalux.Input
	decoder decoder
	gamma   int
	poke    chan string // asks the run keeper to look at the engine

	rewardBits   atomic.Uint64 // the latest global reward, float64 bits
	hasReward    atomic.Bool
	stats        counters
	lastAccepted atomic.Int64 // when the device last took a sensor frame (Unix ns)
	sensesHeld   atomic.Bool  // the arm is held: no sensor frame accepted for the silence window

	mu       sync.Mutex
	stream   *primalux.Stream // the current one, for Stats
	past     primalux.StreamStats
	link     Link   // the output stream, as the diagnostics show it
	lastHold string // why the arm was last held from this side
}

// Gamma is how many output frames one trajectory carries: the frames of one
// cycle_duration at frame_rate_hz, at least one.
func Gamma(cycle time.Duration, frameRate float64) int {
	return max(1, int(math.Round(cycle.Seconds()*frameRate)))
}

// New checks the configuration against the device's contract.
func New(conf Config) (*Device, error) {
	if conf.Client == nil {
		return nil, errors.New("devicebridge: no client")
	}
	if conf.Logger == nil {
		conf.Logger = slog.New(slog.DiscardHandler)
	}
	if conf.MinBackoff <= 0 {
		conf.MinBackoff = time.Second
	}
	if conf.MaxBackoff < conf.MinBackoff {
		conf.MaxBackoff = max(5*time.Second, conf.MinBackoff)
	}
	d := &Device{conf: conf, log: conf.Logger, client: conf.Client, poke: make(chan string, 1),
		gamma: Gamma(conf.CycleDuration, conf.PrimaLux.FrameRateHz)}
	byID := map[string]primalux.Input{}
	for _, in := range conf.Contract.Inputs {
		byID[in.ID] = in
	}
	for _, in := range conf.Inputs {
		pin, ok := byID[in.ID]
		if !ok {
			return nil, fmt.Errorf("devicebridge: input %q is not an input population of the device's brain", in.ID)
		}
		s := sensor{input: pin, kind: in.Kind, joint: -1}
		if pin.N <= 0 && in.Kind != "Proprioception" {
			return nil, fmt.Errorf("devicebridge: input %q: the contract gives no population size, which a picture or a sound needs", in.ID)
		}
		if in.Kind == "Proprioception" {
			var err error
			if s, err = jointSensor(in, pin, conf); err != nil {
				return nil, err
			}
		} else if enc, ok := conf.PrimaLux.Encoding[in.ID]; ok {
			s.mode, s.scale = primalux.Mode(enc.Mode), enc.Scale()
			s.colour = enc.Colour != nil && *enc.Colour
		}
		d.sensors = append(d.sensors, s)
	}
	if id := conf.PrimaLux.RewardInput; id != "" {
		pin, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("devicebridge: reward_input %q is not an input population of the device's brain", id)
		}
		d.reward = &pin
	}
	entries, err := decoderMapping(conf.Mapping, conf.Contract)
	if err != nil {
		return nil, err
	}
	d.decoder = spikeDecoder{primalux.NewSpikeDecoder(entries)}
	if len(conf.Actuation) > 0 {
		act, err := primalux.NewActuationDecoder(conf.Actuation)
		if err != nil {
			return nil, fmt.Errorf("devicebridge: %w", err)
		}
		d.decoder = act
	}
	return d, nil
}

// decoder turns one output frame's item into motor deltas: the SDK's
// spike decoder, or its actuation-channel decoder (which refuses an item
// without channel counts).
type decoder interface {
	Decode(primalux.Item) (primalux.Command, error)
}

type spikeDecoder struct{ *primalux.SpikeDecoder }

func (s spikeDecoder) Decode(it primalux.Item) (primalux.Command, error) {
	return s.SpikeDecoder.Decode(it), nil
}

func jointSensor(in config.Input, pin primalux.Input, conf Config) (sensor, error) {
	s := sensor{input: pin, kind: in.Kind, joint: -1}
	for i, j := range conf.Joints {
		if j.Name == in.Joint {
			s.joint = i
		}
	}
	if s.joint < 0 {
		return s, fmt.Errorf("devicebridge: input %q: joint %q is not configured", in.ID, in.Joint)
	}
	if enc, ok := conf.PrimaLux.Encoding[in.ID]; ok {
		s.mode, s.scale = primalux.Mode(enc.Mode), enc.Scale()
		return s, nil
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	if in.Lo != nil && in.Hi != nil {
		lo, hi = *in.Lo, *in.Hi
	} else if j := conf.Joints[s.joint]; j.Min != nil && j.Max != nil {
		lo, hi = *j.Min, *j.Max
	}
	s.mode, s.scale = primalux.JointScale(lo, hi, primalux.DefaultRadius)
	return s, nil
}

// decoderMapping is the node's mapping as the SDK's decoder reads it, each
// population's width from the contract when it says.
func decoderMapping(mapping []spikes.MappingEntry, ct primalux.Contract) ([]primalux.MappingEntry, error) {
	width := map[string]int{}
	for _, o := range ct.Outputs {
		width[o.ID] = o.N
	}
	out := make([]primalux.MappingEntry, 0, len(mapping))
	for _, m := range mapping {
		n, ok := width[m.NodeID]
		if !ok {
			return nil, fmt.Errorf("devicebridge: mapping node_id %q is not an output population of the device's brain", m.NodeID)
		}
		e := primalux.MappingEntry{OutputID: m.NodeID, Channel: m.Channel, Scheme: m.Scheme, PerStepMax: m.PerStepMax,
			Gain: m.Gain, Deadzone: m.Deadzone, MinStep: m.MinStep, Invert: m.Invert, Threshold: m.Threshold, N: n}
		if e.Scheme == "" {
			e.Scheme = spikes.DefaultScheme
		}
		if m.Clamp != nil {
			e.Clamp = &[2]float64{m.Clamp.Min, m.Clamp.Max}
		}
		out = append(out, e)
	}
	return out, nil
}

// BridgeContract is the device's brain as the bridge sees a run: the
// configured inputs (their kinds as configured), the output populations,
// gamma steps per cycle.
func (d *Device) BridgeContract() *contract.Contract {
	ct := &contract.Contract{RunID: "prima-lux", Constants: contract.Constants{Gamma: d.gamma}}
	for _, in := range d.conf.Inputs {
		ct.IO.Inputs = append(ct.IO.Inputs, contract.Port{ID: in.ID, Kind: in.Kind})
	}
	for _, o := range d.conf.Contract.Outputs {
		ct.IO.Outputs = append(ct.IO.Outputs, contract.Port{ID: o.ID})
	}
	return ct
}

// Gamma is the frames per trajectory in effect.
func (d *Device) Gamma() int { return d.gamma }

// Start gets the brain running: as it is when it already runs, else as the
// SDK's start_session does (READY or STOPPED, run, wait for RUNNING),
// bounded by timeout.
func (d *Device) Start(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := d.client.Status(ctx)
	if err != nil {
		return fmt.Errorf("prima-lux status: %w", err)
	}
	if st.Engine.State == "RUNNING" {
		d.log.Info("prima-lux brain already running", "device", st.DeviceID, "brain", st.Engine.NativeBrainName)
		return nil
	}
	w, err := d.client.Start(ctx, primalux.WaitOptions{Timeout: timeout})
	if err != nil {
		return fmt.Errorf("prima-lux start (state %s): %w", w.LastState, err)
	}
	d.stats.starts.Add(1)
	d.log.Info("prima-lux brain running", "device", st.DeviceID, "brain", st.Engine.NativeBrainName, "polls", w.Polls)
	return nil
}

// Stop asks the brain to stop and waits for the device to confirm it
// (STOPPED, dynamics saved), bounded by StopTimeout; it logs the outcome.
func (d *Device) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), d.conf.StopTimeout)
	defer cancel()
	start := time.Now()
	w, err := d.client.Stop(ctx, primalux.WaitOptions{Timeout: d.conf.StopTimeout})
	if err != nil {
		d.log.Warn("prima-lux brain not confirmed stopped", "err", err, "last_state", w.LastState,
			"stop_timeout", d.conf.StopTimeout)
		return
	}
	d.log.Info("prima-lux brain stopped", "state", w.LastState, "took", time.Since(start).Round(time.Millisecond))
}

// SendReward keeps the reward policy's global value for the next frame.
func (d *Device) SendReward(r brain.Reward) error {
	d.rewardBits.Store(math.Float64bits(r.Global))
	d.hasReward.Store(true)
	return nil
}

var errNotOnDevice = errors.New("not sent to a Prima-Lux device")

// SendChunk is never called on this path: the device asks for nothing.
func (d *Device) SendChunk(brain.Chunk) error { return errNotOnDevice }

// SendState is never called on this path (the bridge's state rate is 0).
func (d *Device) SendState(brain.RobotState) error { return errNotOnDevice }

// Run posts sensor frames, follows the output stream and keeps the brain
// running until ctx ends; then it stops the brain (bounded).
func (d *Device) Run(ctx context.Context, br Bridge) error {
	d.accepted(time.Now()) // the silence window starts now
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); d.sense(ctx, br) }()
	go func() { defer wg.Done(); d.keep(ctx) }()
	go func() { defer wg.Done(); d.follow(ctx, br) }()
	wg.Wait()
	d.Stop()
	return nil
}

// keep starts the brain again when the device says it no longer runs (a
// restart brings it back READY): asked by a reset in the stream or a 409
// from a sensor post, at most once per backoff.
func (d *Device) keep(ctx context.Context) {
	backoff := d.conf.MinBackoff
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case why = <-d.poke:
		}
		st, err := d.client.Status(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			d.log.Warn("prima-lux status not read", "why", why, "err", err)
		case st.Engine.State == "RUNNING":
			backoff = d.conf.MinBackoff
		default:
			d.log.Warn("prima-lux brain no longer running: starting it again", "why", why, "state", st.Engine.State)
			if err := d.Start(ctx, primalux.DefaultStartTimeout); err != nil {
				d.log.Warn("prima-lux brain not started", "err", err)
				d.ask("retry after a failed start")
			} else {
				d.stats.restarts.Add(1)
				backoff = d.conf.MinBackoff
				continue
			}
		}
		if sleep(ctx, backoff) != nil {
			return
		}
		backoff = min(2*backoff, d.conf.MaxBackoff)
	}
}

// ask wakes the run keeper; one pending request is enough.
func (d *Device) ask(why string) {
	select {
	case d.poke <- why:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
