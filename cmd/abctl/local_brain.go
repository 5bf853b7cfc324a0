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

	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// apiKeyEnv names the variable the local brain reads its API key from:
// secrets never travel in argv, where any user can read them.
const apiKeyEnv = "AB_API_KEY"

func init() {
	register("local-brain", "serve the embedded Artificial-Brains-compatible brain on loopback", runLocalBrain)
}

// runLocalBrain serves a local brain until ctx ends (SIGINT/SIGTERM in
// main). It prints "local brain listening on URL" on stdout once ready.
func runLocalBrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("abctl local-brain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8765", "loopback address to serve on (port 0 picks a free one)")
	cycleMs := fs.Int("cycle-ms", 50, "milliseconds between the io:need of consecutive cycles")
	deadlineMs := fs.Int("deadline-ms", 0, "milliseconds a cycle waits for its inputs (0: 80% of --cycle-ms)")
	seed := fs.Uint64("seed", 1, "seed of the network's noise; same seed, same spikes")
	record := fs.String("record", "", "write every received event to FILE as JSON lines (binary data as base64)")
	lockStep := fs.Bool("lock-step", false, "step each cycle as soon as every need is answered instead of every --cycle-ms (a run's start call may override it)")
	learning := fs.Bool("learning", true, "let runs learn from rewards; --learning=false keeps the network fixed (a run's start call may override it)")
	admin := fs.Bool("admin", false, "serve POST /admin/runs/{runId}/disconnect to loopback peers (tests force reconnects with it)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: abctl local-brain [flags]\n\n"+
			"Serves the Artificial Brains protocol (REST under /api, Socket.IO namespace /ab)\n"+
			"with a built-in project %q, a 2-joint arm.\n\n"+
			"The API key is read from the environment variable %s (empty or unset: no auth);\n"+
			"there is no flag for it, because command lines are visible to every user.\n\nflags:\n",
			localbrain.DemoProjectID, apiKeyEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: local-brain: %v", errUsage, err)
	}
	var level slog.Level
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: local-brain takes no arguments, got %q", errUsage, fs.Args())
	case *cycleMs <= 0:
		return fmt.Errorf("%w: local-brain: --cycle-ms must be positive, got %d", errUsage, *cycleMs)
	case *deadlineMs < 0:
		return fmt.Errorf("%w: local-brain: --deadline-ms must not be negative, got %d", errUsage, *deadlineMs)
	case level.UnmarshalText([]byte(*logLevel)) != nil:
		return fmt.Errorf("%w: local-brain: --log-level %q is not debug, info, warn or error", errUsage, *logLevel)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	conf := localbrain.Config{
		Addr:          *listen,
		APIKey:        strings.TrimSpace(os.Getenv(apiKeyEnv)),
		CycleInterval: time.Duration(*cycleMs) * time.Millisecond,
		NeedDeadline:  time.Duration(*deadlineMs) * time.Millisecond,
		Seed:          *seed,
		Logger:        logger,
		Admin:         *admin,
		LockStep:      *lockStep,
		NoLearning:    !*learning,
	}
	if *record != "" {
		f, err := os.OpenFile(*record, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("local-brain: record: %w", err)
		}
		defer f.Close()
		conf.Record = f
	}
	srv, err := localbrain.New(conf)
	if err != nil {
		return fmt.Errorf("local-brain: %w", err)
	}
	fmt.Fprintf(stdout, "local brain listening on %s\n", srv.URL())
	<-ctx.Done()
	logger.Info("local brain shutting down")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("local-brain: %w", err)
	}
	return nil
}
