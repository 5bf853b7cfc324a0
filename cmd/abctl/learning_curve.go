package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/localbrain"
	"github.com/abbridge/ab_bridge/internal/reach"
)

// The files learning-curve writes into --out.
const (
	curveTableFile = "learning_curve.txt"
	curvePlotFile  = "learning_curve.png"
)

// minCurveCycles is the fewest cycles a curve may have: its first and last
// fifths must hold a couple of rewards each to mean anything.
const minCurveCycles = 10

func init() {
	register("learning-curve", "run the reaching task with learning on and off and write its table and plot", runLearningCurve)
}

// curveFlags is what the command line asks for.
type curveFlags struct {
	config, out, brain string
	seeds              []uint64
	cycles, parallel   int
	window             int
}

// runLearningCurve runs reach.Curve against a brain (the embedded one by
// default) and writes the table and the plot of its results.
func runLearningCurve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseCurveFlags(args, stderr)
	if err != nil || f == nil {
		return err
	}
	cfg, err := config.Load(f.config)
	if err != nil {
		return err // it names the file and the fault already
	}
	if len(cfg.Joints) == 0 {
		return fmt.Errorf("learning-curve: %s configures no joints: there is no arm to reach with", f.config)
	}
	brainURL, apiKey, stop, err := curveBrain(f.brain)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stderr, "learning-curve: %d seeds × learning on/off, %d cycles each, against %s\n", len(f.seeds), f.cycles, brainURL)
	// Errors only: an exploring arm is clamped to its joint limits all the
	// time, and the warnings would bury the table.
	c := reach.Curve{BrainURL: brainURL, APIKey: apiKey, Project: localbrain.DemoProjectID, Config: cfg,
		Seeds: f.seeds, Cycles: f.cycles, Start: make([]float64, len(cfg.Joints)), Parallel: f.parallel,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	results, err := c.Run(ctx)
	if err != nil {
		return fmt.Errorf("learning-curve: %w", err)
	}
	return writeCurve(f, results, stdout)
}

func parseCurveFlags(args []string, stderr io.Writer) (*curveFlags, error) {
	fs := flag.NewFlagSet("abctl learning-curve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &curveFlags{}
	fs.StringVar(&f.config, "config", "config/bridge.yaml", "node configuration: its joints, inputs, mapping and trajectory drive the arm")
	seeds := fs.String("seeds", "1,2,3,4,5", "comma-separated seeds; each picks a target and runs with learning on and off")
	fs.IntVar(&f.cycles, "cycles", 2000, fmt.Sprintf("cycles per run (at least %d)", minCurveCycles))
	fs.StringVar(&f.out, "out", ".", "folder to write "+curveTableFile+" and "+curvePlotFile+" into")
	fs.StringVar(&f.brain, "brain", "", "brain REST base URL (default: start the embedded brain on loopback)")
	fs.IntVar(&f.parallel, "parallel", 4, "runs at once")
	fs.IntVar(&f.window, "window", 100, "cycles in the plot's moving average")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: abctl learning-curve [flags]\n\n"+
			"Runs the kinematic reaching task in lock-step for every seed, with learning\n"+
			"on and off, and writes %s (table and summary) and %s into --out.\n\n"+
			"The API key of a --brain is read from the environment variable %s;\n"+
			"there is no flag for it, because command lines are visible to every user.\n\nflags:\n",
			curveTableFile, curvePlotFile, apiKeyEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: learning-curve: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: learning-curve takes no arguments, got %q", errUsage, fs.Args())
	}
	var err error
	if f.seeds, err = parseSeeds(*seeds); err != nil {
		return nil, fmt.Errorf("%w: learning-curve: --seeds: %v", errUsage, err)
	}
	return f, f.check()
}

func (f *curveFlags) check() error {
	switch {
	case f.cycles < minCurveCycles:
		return fmt.Errorf("%w: learning-curve: --cycles must be at least %d, got %d", errUsage, minCurveCycles, f.cycles)
	case f.parallel < 1:
		return fmt.Errorf("%w: learning-curve: --parallel must be at least 1, got %d", errUsage, f.parallel)
	case f.window < 1:
		return fmt.Errorf("%w: learning-curve: --window must be at least 1, got %d", errUsage, f.window)
	case f.out == "":
		return fmt.Errorf("%w: learning-curve: --out must not be empty", errUsage)
	case f.config == "":
		return fmt.Errorf("%w: learning-curve: --config must not be empty", errUsage)
	}
	return nil
}

// parseSeeds reads "1,2,3"; a repeated seed is refused, as it would run
// the same tasks twice and draw them over each other.
func parseSeeds(s string) ([]uint64, error) {
	var out []uint64
	for field := range strings.SplitSeq(s, ",") {
		field = strings.TrimSpace(field)
		v, err := strconv.ParseUint(field, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a seed (a non-negative integer)", field)
		}
		if slices.Contains(out, v) {
			return nil, fmt.Errorf("seed %d is listed twice", v)
		}
		out = append(out, v)
	}
	return out, nil
}

// curveBrain is the brain to run against: url as given, its key from the
// environment only; without url, an embedded brain until stop.
func curveBrain(url string) (brainURL, apiKey string, stop func(), err error) {
	if url != "" {
		return url, strings.TrimSpace(os.Getenv(apiKeyEnv)), func() {}, nil
	}
	srv, err := localbrain.New(localbrain.Config{})
	if err != nil {
		return "", "", nil, fmt.Errorf("learning-curve: local brain: %w", err)
	}
	return srv.URL(), "", func() { _ = srv.Close() }, nil
}

// writeCurve writes the table with its summary and the plot, and prints
// the table and where both went.
func writeCurve(f *curveFlags, results []reach.Result, stdout io.Writer) error {
	var table bytes.Buffer
	if err := reach.WriteTable(&table, results); err != nil {
		return err
	}
	table.WriteString(curveSummary(results) + "\n")
	var plot bytes.Buffer
	if err := reach.WritePlot(&plot, results, f.window); err != nil {
		return fmt.Errorf("learning-curve: %w", err)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("learning-curve: %w", err)
	}
	tablePath, plotPath := filepath.Join(f.out, curveTableFile), filepath.Join(f.out, curvePlotFile)
	if err := os.WriteFile(tablePath, table.Bytes(), 0o644); err != nil {
		return fmt.Errorf("learning-curve: %w", err)
	}
	if err := os.WriteFile(plotPath, plot.Bytes(), 0o644); err != nil {
		return fmt.Errorf("learning-curve: %w", err)
	}
	_, err := fmt.Fprintf(stdout, "%s\nwrote %s\nwrote %s\n", table.String(), tablePath, plotPath)
	return err
}

// curveSummary is the table's last line: the means over seeds of the last
// fifth's reward and of the final distance, learning on and off.
func curveSummary(results []reach.Result) string {
	var last, final [2][]float64 // index 1: learning on
	for _, r := range results {
		s := reach.Summarize(r)
		i := 0
		if r.Learning {
			i = 1
		}
		last[i] = append(last[i], s.Last)
		final[i] = append(final[i], s.Final)
	}
	return fmt.Sprintf("summary: mean last_20%% reward learning on %.3f, off %.3f; mean final_distance_rad on %.3f, off %.3f",
		meanOf(last[1]), meanOf(last[0]), meanOf(final[1]), meanOf(final[0]))
}

// meanOf is NaN for no values, which prints as such rather than as a 0
// that reads like a measurement.
func meanOf(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
