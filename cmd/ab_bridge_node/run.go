package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/clock"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/localbrain"
	"github.com/abbridge/ab_bridge/internal/ros"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const nodeName = "ab_bridge"

// options are the node's own flags (outside --ros-args).
type options struct {
	configPath  string
	checkConfig bool
	version     bool
	logFormat   string
}

func run(ctx context.Context, argv []string, stdout, stderr io.Writer) int {
	rosArgs, err := config.ParseROSArgs(argv)
	if err != nil {
		fmt.Fprintln(stderr, "ab_bridge_node:", err)
		return 2
	}
	opts, err := parseFlags(rosArgs.Own, stderr)
	if err != nil {
		return 2
	}
	if opts.version {
		fmt.Fprintln(stdout, "ab_bridge_node", version)
		return 0
	}
	cfg, err := loadConfig(rosArgs, opts)
	if err != nil {
		fmt.Fprintln(stderr, "ab_bridge_node: configuration:\n"+indent(err.Error()))
		return 2
	}
	if opts.checkConfig {
		for _, w := range cfg.Warnings {
			fmt.Fprintln(stderr, "ab_bridge_node: configuration: warning:", w)
		}
		fmt.Fprintf(stdout, "%s: configuration is valid\n", cfg.File)
		return 0
	}
	log := newLogger(stderr, rosArgs.LogLevel, opts.logFormat)
	for _, w := range cfg.Warnings {
		log.Warn("configuration: the SDK ignores this", "at", w.Error())
	}
	if err := serve(ctx, log, cfg, argv); err != nil {
		log.Error("ab_bridge_node failed", "err", err)
		return 1
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("ab_bridge_node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.configPath, "config", "", "configuration file (default: the ROS parameter `config`)")
	fs.BoolVar(&o.checkConfig, "check-config", false, "validate the configuration and exit")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.StringVar(&o.logFormat, "log-format", logFormatROS, "console log format: ros ([LEVEL] [time] [node]: msg), text or json (structured); every line also goes to /rosout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ab_bridge_node [--config FILE] [--check-config] [--ros-args ...]")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "The brain's API key is read from the environment, a .env file or a key file named in the configuration, never from arguments.")
	}
	err := fs.Parse(args)
	if err == nil && o.logFormat != logFormatROS && o.logFormat != logFormatText && o.logFormat != logFormatJSON {
		err = fmt.Errorf("--log-format %q: want ros, text or json", o.logFormat)
		fmt.Fprintln(stderr, err)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		fmt.Fprintln(stderr, err)
		fs.Usage()
	}
	return o, err
}

// loadConfig finds the file (--config, else the ROS parameter `config`),
// loads it, and applies the flat ROS parameter overrides.
func loadConfig(rosArgs *config.ROSArgs, opts options) (*config.Config, error) {
	params, err := rosArgs.Parameters(nodeName)
	if err != nil {
		return nil, err
	}
	path := opts.configPath
	if path == "" {
		path, _ = params["config"].(string)
	}
	if path == "" {
		return nil, errors.New("no configuration file: pass --config FILE, or the ROS parameter config (launch/bridge.launch.py does)")
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	for name, v := range params {
		s := fmt.Sprint(v)
		switch name {
		case "brain.url", "brain_url":
			cfg.Brain.URL = s
		case "brain.project", "project":
			cfg.Brain.Project = s
		}
	}
	return cfg, nil
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "warn":
		l = slog.LevelWarn
	case "error", "fatal":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	lv := new(slog.LevelVar) // the log_level parameter changes it live (params.go)
	lv.Set(l)
	return slog.New(newNodeLog(w, format, lv, nodeName))
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }

// embeddedRecordLimit is the embedded brain's Config.RecordLimit: the node
// never reads the record, and the default (4096 entries per list, chunks
// with their bytes up to localbrain.MaxRecordedChunkBytes) held up to 64 MB
// of camera frames in the node's heap.
const embeddedRecordLimit = 16

// serve runs the bridge until ctx ends, then stops the run on the brain.
func serve(ctx context.Context, log *slog.Logger, cfg *config.Config, argv []string) error {
	if cfg.IsRoboActions() {
		return serveRoboActions(ctx, log, cfg, argv) // roboactions.go
	}
	if cfg.IsPrimaLux() {
		return servePrimaLux(ctx, log, cfg, argv) // primalux.go
	}
	key, keySource, err := cfg.Brain.APIKey(os.Getenv)
	if err != nil {
		return err
	}
	baseURL := cfg.Brain.URL
	if baseURL == config.LocalBrainURL {
		local, err := localbrain.New(localbrain.Config{
			Addr:          cfg.Brain.Local.Listen,
			APIKey:        key,
			CycleInterval: cfg.Brain.Local.CycleInterval,
			Logger:        log.With("component", "local_brain"),
			// Nothing in the node reads the run's record; io/state's counts
			// are totals either way.
			RecordLimit: embeddedRecordLimit,
			NoChunkData: true,
		})
		if err != nil {
			return fmt.Errorf("local brain: %w", err)
		}
		defer local.Close()
		baseURL = local.URL()
	}
	log.Info("ab_bridge_node starting", "version", version, "ros_distro", os.Getenv("ROS_DISTRO"),
		"config", cfg.File, "brain", baseURL, "project", cfg.Brain.Project, "api_key", keyOrigin(key, keySource))

	client, err := brain.NewClient(brain.Config{BaseURL: baseURL, APIKey: key, Namespace: cfg.Brain.Namespace,
		HTTPTimeout: cfg.Brain.HTTPTimeout, Logger: log})
	if err != nil {
		return err
	}
	defer client.Close()
	pols, err := loadPolicies(ctx, log, cfg, client)
	if err != nil {
		return err
	}
	ct, err := client.Start(ctx, cfg.Brain.Project, cfg.Brain.StartOptions)
	if err != nil {
		return fmt.Errorf("start run: %w", err)
	}
	log.Info("run started", "run", ct.RunID, "gamma", ct.Constants.Gamma, "inputs", len(ct.IO.Inputs), "outputs", len(ct.IO.Outputs))
	run := &currentRun{ct: ct}
	defer func() { stopRun(log, client, cfg, run.get()) }()
	return bridgeRun(ctx, log, cfg, client, run, key, argv, pols)
}

func bridgeRun(ctx context.Context, log *slog.Logger, cfg *config.Config, client *brain.Client, run *currentRun, key string, argv []string, pols policies) error {
	ct := run.get()
	rs, err := startROSSide(ctx, log, cfg, argv, bridge.Config{
		Joints: cfg.Joints, Inputs: cfg.Inputs, Mapping: cfg.Mapping, Trajectory: cfg.Trajectory,
		StateRate: cfg.State.RateHz, Contract: ct, Logger: log, OnCycleDone: newProgress(log, cfg).cycle,
		Reward: pols.reward, Deviation: pols.deviation, Gripper: cfg.Gripper, Base: cfg.Base,
	})
	if err != nil {
		return err
	}
	defer rs.close()
	br, node, clk := rs.br, rs.node, rs.clk
	diag, err := newNodeDiagnostics(ctx, log, cfg, client, node, br, ct, key, argv, pols) // diagnostics.go
	if err != nil {
		return err
	}
	defer diag.close()
	diag.pub.Now = clk.Now // before its loop starts

	url, ns := client.RealtimeEndpoint(ct)
	sess, err := brain.Dial(ctx, brain.SessionConfig{URL: url, Namespace: ns, APIKey: key, RunID: ct.RunID, Handler: diag.link,
		Silence: cfg.Silence(), Logger: log})
	if err != nil {
		return fmt.Errorf("realtime: %w", err)
	}
	defer sess.Close()

	// Either loop ending ends both: a dead executor must not leave a bridge
	// that looks alive to the brain.
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var spinErr, runErr, keepErr error
	keeper := &runKeeper{log: log, cfg: cfg, client: client, sess: sess, br: br, run: run, pols: pols}
	wg.Add(5)
	go func() { defer wg.Done(); defer cancel(); runErr = br.Run(ctx, sess, node) }()
	go func() { defer wg.Done(); defer cancel(); spinErr = node.Spin(ctx) }()
	go func() { defer wg.Done(); defer cancel(); keepErr = keeper.keep(ctx) }()
	go func() { defer wg.Done(); policyStatsLoop(ctx, log, br, cfg.Policies.LogInterval) }()
	go func() { defer wg.Done(); diag.loop(ctx, br, sess, run) }()
	wg.Wait()
	st := br.Stats()
	ss := sess.Stats()
	log.Info("bridge stopped", "cycles", st.Cycles, "trajectories", st.Trajectories, "chunks", st.Chunks,
		"late_needs", st.LateNeeds, "malformed_rows", st.MalformedRows, "bad_joint_states", st.BadJointStates,
		"holds", st.Holds, "stale_joint_states", st.StaleJointStates, "limit_clamps", st.LimitClamps, "cycles_while_paused", st.CyclesWhilePaused, "link_losses", st.LinkLosses,
		"reconnects", ss.Reconnects, "silences", ss.Silences, "runs_gone", ss.RunsGone, "server_closes", ss.ServerCloses)
	logPolicyStats(log, "policies at stop", br.LearningStats())
	logInputStats(log, br.InputStats())
	logCommandStats(log, br)
	return errors.Join(runErr, spinErr, keepErr)
}

// nodeClock is the clock of the robot's side: the wall's, or with
// use_sim_time the sim time of /clock and the subscription that feeds it.
// The brain's side (the session's silence window, REST timeouts, the
// reconnect backoff, need deadlines) stays on the wall clock: the brain is
// a network peer that runs on wall time whatever the simulator does.
func nodeClock(log *slog.Logger, useSimTime bool) (clock.Clock, ros.Subscriber) {
	if !useSimTime {
		return clock.Wall{}, nil
	}
	sim := &clock.Sim{}
	log.Info("use_sim_time: following " + ros.ClockTopic + "; nothing is measured or commanded until its first message")
	return sim, ros.ClockSubscriber(func(t time.Time) {
		if sim.Set(t) {
			log.Info("sim time: first "+ros.ClockTopic+" message", "sim_time", fmt.Sprintf("%.3f", float64(t.UnixNano())/1e9))
		}
	})
}

// inputSubscribers subscribes each camera and microphone input's topic,
// handing its messages to the bridge; topics names them for the log, cams
// counts how each sensor_msgs/Image input's frames were read.
func inputSubscribers(log *slog.Logger, br *bridge.Bridge, cfg *config.Config) (subs []ros.Subscriber, topics []string, cams []cameraTakes, err error) {
	for _, in := range cfg.Inputs {
		var sub ros.Subscriber
		topic := in.TopicName()
		qos := cfg.TopicQoS(topic, in.QoSRole())
		switch in.MessageType() {
		case config.TypeImage:
			sink, e := br.ImageSink(in.ID)
			cam := cameraTakes{id: in.ID, takes: ros.NewImageTakes(reportImageRefusal(log, in.ID))}
			cams = append(cams, cam)
			sub, err = ros.ImageSubscriber(topic, qos, cam.takes, sink), e
		case config.TypeCompressedImage:
			sink, e := br.CompressedImageSink(in.ID)
			sub, err = ros.CompressedImageSubscriber(topic, qos, sink), e
		case config.TypeUInt8MultiArray:
			sink, e := br.AudioBytesSink(in.ID)
			sub, err = ros.AudioBytesSubscriber(topic, qos, sink), e
		case config.TypeInt16MultiArray:
			sink, e := br.AudioSamplesSink(in.ID)
			sub, err = ros.AudioSamplesSubscriber(topic, qos, sink), e
		default:
			continue // answered from joint_states or the policies
		}
		if err != nil {
			return nil, nil, nil, err
		}
		subs = append(subs, sub)
		topics = append(topics, fmt.Sprintf("%s (%s → %s)", topic, in.MessageType(), in.ID))
	}
	return subs, topics, cams, nil
}

// cameraTakes are one sensor_msgs/Image input's take counters.
type cameraTakes struct {
	id    string
	takes *ros.ImageTakes
}

// reportImageRefusal logs the first frame of input id that the node's
// reader refused, and the first one lost; the counts come at stop
// (logCameraTakes).
func reportImageRefusal(log *slog.Logger, id string) func(ros.ImageRefusal) {
	return func(r ros.ImageRefusal) {
		if r.Lost {
			log.Warn("camera frame lost: neither the node's reader nor rclgo's deserializer reads it", "input", id, "err", r.Err)
			return
		}
		log.Warn("camera frame read through rclgo's deserializer (slower) because the node's reader refused it", "input", id, "err", r.Err)
	}
}

// logCameraTakes says how each camera input's frames were read: by the
// node's reader, through rclgo's deserializer, or not at all.
func logCameraTakes(log *slog.Logger, cams []cameraTakes) {
	for _, c := range cams {
		st := c.takes.Stats()
		args := []any{"id", c.id, "read", st.Read, "fallback", st.Fallback, "lost", st.Lost}
		if st.Refusal != "" {
			args = append(args, "first_refusal", st.Refusal)
		}
		log.Info("camera takes", args...)
	}
}

// logInputStats says, per camera and microphone input, what arrived and
// what became of it.
func logInputStats(log *slog.Logger, stats []bridge.InputStats) {
	for _, s := range stats {
		if s.Kind != contract.KindImage && s.Kind != contract.KindAudio {
			continue
		}
		log.Info("input", "id", s.ID, "kind", s.Kind, "received", s.Received, "sent", s.Sent, "rejected", s.Rejected,
			"superseded", s.Superseded, "downscaled", s.Downscaled, "stale", s.Stale, "oversize", s.Oversize, "audio_dropped", s.AudioDropped)
	}
}

// stopRun tells the brain the run is over, bounded by stop_timeout so that
// the node exits promptly on SIGINT even when the brain is unreachable.
func stopRun(log *slog.Logger, client *brain.Client, cfg *config.Config, ct *contract.Contract) {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Brain.StopTimeout)
	defer cancel()
	if err := client.Stop(ctx, cfg.Brain.Project, ct.RunID); err != nil {
		log.Warn("run not stopped on the brain", "run", ct.RunID, "err", err)
		return
	}
	log.Info("run stopped", "run", ct.RunID)
}

func keyOrigin(key, source string) string {
	if key == "" {
		return "none"
	}
	return "from " + source
}

// progress prints one line a second with the cycle count and where the
// joints are being sent: the demo's "it is alive" output.
type progress struct {
	log   *slog.Logger
	names []string
	last  time.Time
	count int
	// The mean reward of the cycles since the last line: how a user sees
	// the brain learn (it climbs from about 0.5 towards 1 as the arm
	// learns to reach the reward policy's target).
	rewardSum float64
	rewards   int
	noReward  bool // a brain that takes none (a RoboActions policy)
}

func newProgress(log *slog.Logger, cfg *config.Config) *progress {
	p := &progress{log: log}
	for _, j := range cfg.Joints {
		p.names = append(p.names, j.Name)
	}
	return p
}

func (p *progress) cycle(r bridge.CycleReport) {
	p.count++
	p.rewardSum += r.Reward
	p.rewards++
	if time.Since(p.last) < time.Second || !r.Published {
		return
	}
	p.last = time.Now()
	args := []any{"cycle", r.Cycle, "cycles_total", p.count}
	if !p.noReward {
		args = append(args, "reward", fmt.Sprintf("%.2f", p.rewardSum/float64(p.rewards)))
	}
	p.rewardSum, p.rewards = 0, 0
	for i, n := range p.names {
		if i < len(r.Target) {
			args = append(args, n, fmt.Sprintf("%+.3f", r.Target[i]))
		}
	}
	p.log.Info("cycle", args...)
}

// rosSide is what the runs of both brain kinds share: the live parameters,
// the bridge on the node's clock, every subscriber and service, the node,
// and the log's /rosout sink.
type rosSide struct {
	br    *bridge.Bridge
	node  *ros.Node
	clk   clock.Clock
	close func() // the sink off, then the node closed, then the bridge
}

// startROSSide builds the bridge from conf (its Clock is the node's) and
// the node around it.
func startROSSide(ctx context.Context, log *slog.Logger, cfg *config.Config, argv []string, conf bridge.Config, extra ...ros.Subscriber) (rs *rosSide, err error) {
	logs, _ := log.Handler().(*nodeLog)
	var level *slog.LevelVar
	if logs != nil {
		level, _ = logs.level.(*slog.LevelVar)
	}
	live, err := newParams(cfg, argv, level) // before the bridge: it starts from their values
	if err != nil {
		return nil, err
	}
	clk, clockSub := nodeClock(log, live.useSimTime())
	conf.Clock = clk
	br, err := bridge.New(conf)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			br.Close()
		}
	}()
	live.bind(br)
	subs, topics, cams, err := inputSubscribers(log, br, cfg) // cameras and microphones
	if err != nil {
		return nil, err
	}
	sigSubs, sigTopics, err := signalSubscribers(br, cfg)
	if err != nil {
		return nil, err
	}
	if err := checkQoS(log, cfg, br.PolicyTopics()); err != nil {
		return nil, err
	}
	subs, topics = append(subs, sigSubs...), append(topics, sigTopics...)
	subs = append(subs, pauseServices(log, br)...)
	subs = append(subs, ros.ParameterServices(live.store, log))
	// The backend's own services and topics.
	subs = append(subs, extra...)
	if sub, topic := urdfLimits(ctx, log, cfg, br); sub != nil { // urdf_limits.go
		subs, topics = append(subs, sub), append(topics, topic)
	}
	if clockSub != nil {
		subs, topics = append(subs, clockSub), append(topics, ros.ClockTopic+" (use_sim_time)")
	}
	node, err := ros.NewNode(ros.NodeConf{Argv: argv, Name: nodeName, Namespace: "/", OnJointState: br.OnJointState, Subscribers: subs,
		JointStatesQoS: cfg.TopicQoS(ros.JointStatesTopic, config.RoleJointStates),
		TrajectoryQoS:  cfg.TopicQoS(ros.JointTrajectoryTopic, config.RoleCommand), Logger: log,
		Commands: commandsConf(cfg, br), Now: clk.Now})
	if err != nil {
		return nil, err
	}
	if logs != nil {
		logs.setSink(node.Log)
	}
	log.Info("ros node up", "node", node.FullName(), "subscribes", append([]string{ros.JointStatesTopic}, topics...), "publishes", append([]string{ros.JointTrajectoryTopic}, commandTopicNames(br)...))
	return &rosSide{br: br, node: node, clk: clk, close: func() {
		if logs != nil {
			logs.setSink(nil) // before node.Close: the rest is printed here
		}
		node.Close()
		logCameraTakes(log, cams) // after the executor's last take
		br.Close()
	}}, nil
}
