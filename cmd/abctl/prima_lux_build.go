package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/primalux"
)

// buildPrintEvery is how often a build in progress prints a line.
const buildPrintEvery = 2 * time.Second

func init() {
	register("prima-lux-build", "build and install a brain design on a Prima-Lux device (the SDK's 'ab build brain')", runPrimaLuxBuild)
}

// runPrimaLuxBuild is the SDK 0.4.0 CLI's `ab build brain` for ab_bridge's
// users: the design is uploaded, its build followed until the device has
// it installed and READY, and the result printed. It is the first step of
// the SDK's flow (build, then run the installed brain), for a device that
// ab_bridge_node then runs without primalux.build.
func runPrimaLuxBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("abctl prima-lux-build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brain := fs.String("brain", "", "the design to build, a brain.abdesign.json (default: $"+primalux.ContractEnv+" when it is a design)")
	url := fs.String("url", "", "the device's origin, http(s)://host[:port] (default: $"+primalux.URLEnv+", from the environment or --env-file)")
	envFile := fs.String("env-file", ".env", "a .env file read for the device's variables (a missing file is fine)")
	keyFile := fs.String("key-file", "", "a file holding the developer key plx_... (used when $"+primalux.KeyEnv+" is not set)")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long to wait for the build in all (the device keeps building after; build again to reconnect)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: abctl prima-lux-build [flags]\n\n"+
			"Builds a brain design on a Prima-Lux device and waits until it is installed and READY,\n"+
			"as the Artificial Brains SDK 0.4.0's 'ab build brain' does. The developer key comes from\n"+
			"$%s, the same name in --env-file, or --key-file, never from a flag's value.\n\nflags:\n", primalux.KeyEnv)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: prima-lux-build: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: prima-lux-build takes no arguments, got %q", errUsage, fs.Args())
	case *timeout <= 0:
		return fmt.Errorf("%w: prima-lux-build: --timeout must be positive, got %s", errUsage, *timeout)
	}
	res, err := primalux.Settings{URL: *url, APIKeyEnv: primalux.KeyEnv, EnvFile: *envFile, APIKeyFile: *keyFile, Contract: *brain}.Resolve(os.Getenv)
	if err != nil {
		return fmt.Errorf("prima-lux-build: %w", err)
	}
	if res.ContractPath == "" {
		return fmt.Errorf("%w: prima-lux-build: no design: give --brain or set %s", errUsage, primalux.ContractEnv)
	}
	d, err := primalux.LoadDesign(res.ContractPath)
	if err != nil {
		return fmt.Errorf("prima-lux-build: %w", err)
	}
	client, err := primalux.New(res.Options)
	if err != nil {
		return fmt.Errorf("prima-lux-build: %w", err)
	}
	fmt.Fprintf(stdout, "building %q (design_sha256 %s) on %s, key from %s\n", d.Name, d.Digest, client.Origin(), res.KeySource)
	built, err := client.BuildDesign(ctx, d, primalux.WaitOptions{Timeout: *timeout}, buildPrinter(stdout))
	if err != nil {
		return fmt.Errorf("prima-lux-build: %w", err)
	}
	fmt.Fprintf(stdout, "installed %q on %s: READY (design_sha256 %s, %s)\n", d.Name, orUnknown(built.DeviceID), built.DesignSHA256, built.Watch.Elapsed.Round(time.Millisecond))
	return nil
}

// buildPrinter prints a build's progress: every change of status, and the
// same status again at most every buildPrintEvery.
func buildPrinter(w io.Writer) func(primalux.BuildProgress) {
	var last string
	var printed time.Time
	return func(p primalux.BuildProgress) {
		if p.Status == last && time.Since(printed) < buildPrintEvery {
			return
		}
		last, printed = p.Status, time.Now()
		line := fmt.Sprintf("build %s: %s after %s", p.BuildID, orUnknown(p.Status), p.Elapsed.Round(100*time.Millisecond))
		if p.LastErr != nil {
			line += " (an answer was lost and the request repeated: " + p.LastErr.Error() + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(unknown)"
	}
	return s
}
