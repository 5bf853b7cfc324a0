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
	"time"

	"github.com/abbridge/ab_bridge/internal/localdevice"
)

// The variables the stand-in reads, named as the SDK names its own: one
// .env serves the device and the application.
const (
	deviceKeyEnv      = "AB_DEVICE_API_KEY"
	deviceContractEnv = "AB_DEVICE_CONTRACT"
)

func init() {
	register("prima-lux", "serve a local Prima-Lux device stand-in (the SDK 0.4.0 device API) on loopback", runPrimaLux)
}

// runPrimaLux serves a device stand-in until ctx ends. It prints
// "prima-lux stand-in listening on URL" on stdout once ready.
func runPrimaLux(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("abctl prima-lux", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to serve on (port 0 picks a free one)")
	keyFile := fs.String("key-file", "", "file holding the developer key plx_... (default: $"+deviceKeyEnv+")")
	brainFile := fs.String("brain", "", "the installed brain: a design (brain.abdesign.json) or an I/O contract (default: $"+deviceContractEnv+"; none: no brain installed)")
	rewards := fs.String("reward", "", "comma-separated input populations that carry the reward, in --brain and in brains built on the device (a contract input of kind Reward is one anyway)")
	tickHz := fs.Float64("tick-hz", localdevice.DefaultTickRate, "output frames per second while running")
	steps := fs.Int("steps-per-frame", localdevice.DefaultStepsPerFrame, "network timesteps per frame")
	seed := fs.Uint64("seed", 1, "seed of the network's noise and initial weights")
	learning := fs.Bool("learning", true, "let rewards change the network's weights")
	replay := fs.Int("replay-frames", localdevice.DefaultReplayFrames, "frames kept for streams that reconnect")
	heartbeat := fs.Duration("heartbeat", localdevice.DefaultHeartbeat, "comment line on an idle stream this often")
	stopDelay := fs.Duration("stop-delay", localdevice.DefaultStopDelay, "how long Stop keeps the engine STOPPING (saving its dynamics)")
	buildDelay := fs.Duration("build-delay", localdevice.DefaultBuildDelay, "how long a brain build (POST /api/brain/build) takes")
	faults := fs.Bool("faults", false, "serve the fault knobs under /standin/ (restart, drop-streams, fail, stop-delay) for tests")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: abctl prima-lux [flags]\n\n"+
			"Serves the Prima-Lux device API of the Artificial Brains SDK 0.4.0 (HTTP under /api,\n"+
			"server-sent events on /api/brain/stream) with the local brain's network behind it.\n\n"+
			"The developer key comes from --key-file or $%s, never from a flag's value:\n"+
			"command lines are visible to every user.\n\nflags:\n", deviceKeyEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: prima-lux: %v", errUsage, err)
	}
	var level slog.Level
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: prima-lux takes no arguments, got %q", errUsage, fs.Args())
	case level.UnmarshalText([]byte(*logLevel)) != nil:
		return fmt.Errorf("%w: prima-lux: --log-level %q is not debug, info, warn or error", errUsage, *logLevel)
	case *tickHz <= 0:
		return fmt.Errorf("%w: prima-lux: --tick-hz must be positive, got %g", errUsage, *tickHz)
	case *steps <= 0:
		return fmt.Errorf("%w: prima-lux: --steps-per-frame must be positive, got %d", errUsage, *steps)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	key, err := deviceKey(*keyFile)
	if err != nil {
		return fmt.Errorf("prima-lux: %w", err)
	}
	conf := localdevice.Config{
		Addr: *listen, APIKey: key, TickRate: *tickHz, StepsPerFrame: *steps, Seed: *seed,
		NoLearning: !*learning, ReplayFrames: *replay, Heartbeat: *heartbeat, StopDelay: *stopDelay,
		BuildDelay: *buildDelay, Faults: *faults, Logger: logger,
	}
	for _, n := range strings.Split(*rewards, ",") {
		if n = strings.TrimSpace(n); n != "" {
			conf.Rewards = append(conf.Rewards, n)
		}
	}
	path := *brainFile
	if path == "" {
		path = strings.TrimSpace(os.Getenv(deviceContractEnv))
	}
	if path != "" {
		if conf.Brain, err = localdevice.LoadBrain(path, conf.Rewards); err != nil {
			return fmt.Errorf("prima-lux: brain: %w", err)
		}
	}
	dev, err := localdevice.New(conf)
	if err != nil {
		return fmt.Errorf("prima-lux: %w", err)
	}
	url, err := dev.Serve()
	if err != nil {
		_ = dev.Close()
		return fmt.Errorf("prima-lux: %w", err)
	}
	if conf.Brain != nil {
		logger.Info("brain installed", "name", conf.Brain.Name, "inputs", len(conf.Brain.Inputs), "outputs", len(conf.Brain.Outputs))
	} else {
		logger.Warn("no brain installed: give --brain or $" + deviceContractEnv + ", or build one (POST /api/brain/build)")
	}
	fmt.Fprintf(stdout, "prima-lux stand-in listening on %s\n", url)
	<-ctx.Done()
	logger.Info("prima-lux stand-in shutting down")
	closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- dev.Close() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("prima-lux: %w", err)
		}
	case <-closeCtx.Done():
		return errors.New("prima-lux: shutdown took longer than 5 s")
	}
	return nil
}

// deviceKey reads the developer key from a key file (its first line) or
// the environment; it must look like the device's keys, plx_....
func deviceKey(file string) (string, error) {
	key := strings.TrimSpace(os.Getenv(deviceKeyEnv))
	source := "$" + deviceKeyEnv
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("key file: %w", err)
		}
		key, _, _ = strings.Cut(strings.TrimSpace(string(raw)), "\n")
		key, source = strings.TrimSpace(key), "key file "+file
	}
	switch {
	case key == "":
		return "", fmt.Errorf("no developer key: give --key-file or set %s", deviceKeyEnv)
	case !strings.HasPrefix(key, "plx_"):
		return "", fmt.Errorf("the developer key in %s does not begin plx_", source)
	}
	return key, nil
}
