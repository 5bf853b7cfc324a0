package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/abbridge/ab_bridge/internal/primalux"
)

// buildLogEvery is how often a build in progress is logged: a build of
// minutes shows it is alive without a line per poll (two a second).
const buildLogEvery = 5 * time.Second

// brainBuilder is what the build step needs of the device's client.
type brainBuilder interface {
	Status(ctx context.Context) (primalux.Status, error)
	BuildDesign(ctx context.Context, d primalux.Design, w primalux.WaitOptions, progress func(primalux.BuildProgress)) (primalux.Built, error)
}

// buildDeviceBrain is primalux.build: the SDK's `ab build brain` run by the
// node before it starts the brain. The design at path is uploaded and its
// build followed until the device reports it installed and READY, within
// timeout; a failed build is an error with the device's reason. A device
// that already has this design installed (same design_sha256, nothing
// pending) is not asked again, so a restarted node does not rebuild, and a
// brain left running with it is not refused as busy. A build interrupted
// by ctx returns ctx's error.
func buildDeviceBrain(ctx context.Context, log *slog.Logger, dev brainBuilder, path string, timeout, logEvery time.Duration) error {
	d, err := primalux.LoadDesign(path)
	if err != nil {
		return fmt.Errorf("prima-lux: primalux.build: %w", err)
	}
	log = log.With("design", d.Name, "design_sha256", d.Digest)
	if st, err := dev.Status(ctx); err == nil && st.Engine.HasBrain && !st.Package.Pending && st.Package.Active.DesignSHA256 == d.Digest {
		log.Info("brain build skipped: the device has this design installed", "state", st.Engine.State, "device_id", st.DeviceID)
		return nil
	}
	log.Info("brain build started", "file", path, "timeout", timeout)
	var logged time.Time
	progress := func(p primalux.BuildProgress) {
		if time.Since(logged) < logEvery {
			return
		}
		logged = time.Now()
		attrs := []any{"build_id", p.BuildID, "status", p.Status, "elapsed", p.Elapsed.Round(time.Millisecond), "requests", p.Polls}
		if p.LastErr != nil {
			attrs = append(attrs, "last_lost_answer", p.LastErr)
		}
		log.Info("brain build in progress", attrs...)
	}
	built, err := dev.BuildDesign(ctx, d, primalux.WaitOptions{Timeout: timeout}, progress)
	if err != nil && ctx.Err() != nil {
		// Told to stop, not failed: the device keeps building, and the next
		// start reconnects to the build (the SDK's resume) or finds it installed.
		log.Warn("brain build interrupted: the node is stopping (the device may still be building)", "elapsed", built.Watch.Elapsed.Round(time.Millisecond))
		return ctx.Err()
	}
	if err != nil {
		log.Error("brain build failed", "err", err, "elapsed", built.Watch.Elapsed.Round(time.Millisecond), "requests", built.Watch.Polls)
		return fmt.Errorf("prima-lux: building %s on the device: %w", path, err)
	}
	log.Info("brain built and installed", "device_id", built.DeviceID, "elapsed", built.Watch.Elapsed.Round(time.Millisecond), "requests", built.Watch.Polls)
	return nil
}
