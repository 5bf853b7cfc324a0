package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/localpolicy"
	"github.com/abbridge/ab_bridge/internal/roboactions"
	"github.com/abbridge/ab_bridge/internal/secret"
)

func init() {
	register("roboactions", "serve a local RoboActions policy stand-in (the SDK 0.1.2 policy API, a reach policy) on loopback", runRoboActions)
}

// imageFlags collects --image NAME=CxHxW, each a VISUAL input.
type imageFlags map[string]localpolicy.Feature

func (f imageFlags) String() string { return "" }

func (f imageFlags) Set(v string) error {
	name, dims, ok := strings.Cut(v, "=")
	parts := strings.Split(dims, "x")
	if !ok || name == "" || len(parts) != 3 {
		return fmt.Errorf("%q: want NAME=CxHxW, e.g. front=3x224x224", v)
	}
	shape := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return fmt.Errorf("%q: %q is not a whole number", v, p)
		}
		shape[i] = n
	}
	f["observation.images."+name] = localpolicy.Feature{Type: localpolicy.TypeVisual, Shape: shape}
	return nil
}

// roboActionsFlags are the command's flags, parsed into a Config.
type roboActionsFlags struct {
	listen, policyID, keyFile, features, target, device, logLevel string
	stateDim, chunk, steps                                        int
	rate, gain, maxSpeed                                          float64
	deploy, latency                                               time.Duration
	maxBody                                                       int64
	tensor, wrap, noTask, faults                                  bool
	images                                                        imageFlags
}

func newRoboActionsFlags(stderr io.Writer) (*flag.FlagSet, *roboActionsFlags) {
	fs := flag.NewFlagSet("abctl roboactions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &roboActionsFlags{images: imageFlags{}}
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8090", "loopback address to serve on (port 0 picks a free one)")
	fs.StringVar(&f.policyID, "policy-id", "local-reach", "the policy id clients send as x-policy-id")
	fs.StringVar(&f.keyFile, "key-file", "", "file holding the accepted API key (default: $"+roboactions.KeyEnv+", then .env)")
	fs.StringVar(&f.features, "features", "", `JSON file {"input_features": {...}, "output_features": {...}} (default: --state-dim and --image)`)
	fs.IntVar(&f.stateDim, "state-dim", localpolicy.DefaultStateDim, "length of observation.state and of the action")
	fs.Var(f.images, "image", "an image input NAME=CxHxW (observation.images.NAME, float CHW in [0, 1]); repeatable")
	fs.IntVar(&f.chunk, "chunk", localpolicy.DefaultChunkLength, "actions per chunk")
	fs.IntVar(&f.steps, "action-steps", 0, "actions select_action plays from one chunk (default: the chunk)")
	fs.Float64Var(&f.rate, "rate", localpolicy.DefaultRate, "the policy's rate, actions per second")
	fs.StringVar(&f.target, "target", "", "comma-separated target pose the policy reaches for (default: zeros)")
	fs.Float64Var(&f.gain, "gain", localpolicy.DefaultGain, "share of the remaining distance covered per action")
	fs.Float64Var(&f.maxSpeed, "max-speed", localpolicy.DefaultMaxSpeed, "speed cap, state units per second")
	fs.DurationVar(&f.deploy, "deploy-time", 0, "answer DEPLOYING this long after start")
	fs.DurationVar(&f.latency, "latency", 0, "delay every inference answer (a model's forward pass)")
	fs.BoolVar(&f.tensor, "tensor", false, "answer __torch_tensor__ maps instead of __ndarray__ ones")
	fs.StringVar(&f.device, "tensor-device", "cpu", "the device tensor answers name")
	fs.BoolVar(&f.wrap, "wrap-inputs", false, `answer input_features as {"input_features": {...}}`)
	fs.BoolVar(&f.noTask, "no-task", false, "accept observations without a task string")
	fs.Int64Var(&f.maxBody, "max-body", localpolicy.DefaultMaxBody, "largest request body in bytes")
	fs.BoolVar(&f.faults, "faults", false, "serve the fault knobs under /standin/ (fail, delay, drop, status, stats) for tests")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: abctl roboactions [flags]\n\n"+
			"Serves the RoboActions remote-policy API of SDK 0.1.2 (JSON health and features,\n"+
			"msgpack-numpy inference) on loopback, with a deterministic reach policy behind it.\n\n"+
			"The accepted API key comes from --key-file or $%s (or .env), never from a\n"+
			"flag's value: command lines are visible to every user.\n\nflags:\n", roboactions.KeyEnv)
		fs.PrintDefaults()
	}
	return fs, f
}

// runRoboActions serves a policy stand-in until ctx ends. It prints
// "roboactions stand-in listening on URL (policy ID)" on stdout once ready.
func runRoboActions(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newRoboActionsFlags(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: roboactions: %v", errUsage, err)
	}
	var level slog.Level
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: roboactions takes no arguments, got %q", errUsage, fs.Args())
	}
	if level.UnmarshalText([]byte(f.logLevel)) != nil {
		return fmt.Errorf("%w: roboactions: --log-level %q is not debug, info, warn or error", errUsage, f.logLevel)
	}
	if err := loopbackOnly(f.listen); err != nil {
		return fmt.Errorf("%w: roboactions: %v", errUsage, err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	conf, err := f.config(logger)
	if err != nil {
		return fmt.Errorf("%w: roboactions: %v", errUsage, err)
	}
	if conf.APIKey, err = roboActionsKey(f.keyFile, logger); err != nil {
		return fmt.Errorf("roboactions: %w", err)
	}
	srv, err := localpolicy.New(conf)
	if err != nil {
		return fmt.Errorf("roboactions: %w", err)
	}
	url, err := srv.Serve()
	if err != nil {
		return fmt.Errorf("roboactions: %w", err)
	}
	st := srv.Stats()
	logger.Info("policy", "id", st.PolicyID, "inputs", len(conf.Inputs), "chunk", st.ChunkLength, "rate", st.Rate, "target", st.Target, "status", st.Status)
	fmt.Fprintf(stdout, "roboactions stand-in listening on %s (policy %s)\n", url, conf.PolicyID)
	<-ctx.Done()
	logger.Info("roboactions stand-in shutting down")
	return srv.Close()
}

// config turns the flags into the server's config (the key aside).
func (f *roboActionsFlags) config(logger *slog.Logger) (localpolicy.Config, error) {
	conf := localpolicy.Config{
		Addr: f.listen, PolicyID: f.policyID, ChunkLength: f.chunk, ActionSteps: f.steps, Rate: f.rate,
		Gain: f.gain, MaxSpeed: f.maxSpeed, DeployTime: f.deploy, Latency: f.latency, TensorAnswers: f.tensor,
		TensorDevice: f.device, WrapInputs: f.wrap, NoTask: f.noTask, MaxBody: f.maxBody, Faults: f.faults, Logger: logger,
	}
	if f.features != "" {
		if len(f.images) > 0 {
			return conf, errors.New("--features and --image both name the inputs: give one")
		}
		var err error
		if conf.Inputs, conf.Outputs, err = readFeatures(f.features); err != nil {
			return conf, err
		}
	} else {
		conf.Inputs, conf.Outputs = localpolicy.DefaultFeatures(f.stateDim)
		for k, v := range f.images {
			conf.Inputs[k] = v
		}
	}
	if f.target != "" {
		for _, p := range strings.Split(f.target, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return conf, fmt.Errorf("--target %q: %q is not a number", f.target, p)
			}
			conf.Target = append(conf.Target, v)
		}
	}
	return conf, nil
}

// readFeatures reads both feature maps from one JSON file.
func readFeatures(path string) (in, out map[string]localpolicy.Feature, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--features: %w", err)
	}
	var doc struct {
		Inputs  map[string]localpolicy.Feature `json:"input_features"`
		Outputs map[string]localpolicy.Feature `json:"output_features"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, nil, fmt.Errorf("--features %s: %w", path, err)
	}
	if doc.Inputs == nil || doc.Outputs == nil {
		return nil, nil, fmt.Errorf("--features %s: want both input_features and output_features", path)
	}
	return doc.Inputs, doc.Outputs, nil
}

// loopbackOnly refuses to serve a key-guarded stand-in beyond this machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--listen %q: the stand-in serves loopback only (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

// roboActionsKey is the accepted key: the key file when given, else the
// SDK's variable or a .env holding it; the log names the source only.
func roboActionsKey(file string, logger *slog.Logger) (secret.Secret, error) {
	src := secret.Source{Env: roboactions.KeyEnv, EnvFile: ".env"}
	if file != "" {
		src = secret.Source{File: file}
	}
	key, where, err := src.Lookup(os.Getenv)
	switch {
	case err != nil:
		return secret.Secret{}, err
	case key == "":
		return secret.Secret{}, fmt.Errorf("no API key: give --key-file or set %s", roboactions.KeyEnv)
	}
	logger.Info("api key", "from", where)
	return secret.New(key), nil
}
