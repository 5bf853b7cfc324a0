package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/abbridge/ab_bridge/internal/bridge"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/params"
)

// applyTimeout bounds how long a parameter change waits for the bridge
// goroutine; the executor waits with it, so it stays short.
const applyTimeout = time.Second

// Log levels the log_level parameter takes.
var logLevels = []string{"debug", "info", "warn", "error"}

// liveParams are the node's ROS parameters and what their changes reach.
// limits is touched only by Apply hooks, which the store serialises.
type liveParams struct {
	store  *params.Store
	br     *bridge.Bridge // set by bind, before the node serves the store
	level  *slog.LevelVar
	limits map[string][2]float64 // joint → max_velocity, max_acceleration (0: unlimited)
}

// newParams declares the node's parameters. Their initial values are the
// configuration's, then --params-file and -p (argv, read as rcl reads it)
// for the writable ones, then --log-level for log_level when no parameter
// names it. cfg is then set to the initial values of the writable ones, so
// the bridge built from it starts with them. level, when set, is the
// logger's and follows log_level.
func newParams(cfg *config.Config, argv []string, level *slog.LevelVar) (*liveParams, error) {
	rosArgs, err := config.ParseROSArgs(argv)
	if err != nil {
		return nil, err
	}
	overrides, err := rosArgs.Parameters(nodeName)
	if err != nil {
		return nil, err
	}
	lp := &liveParams{level: level, limits: map[string][2]float64{}}
	lvl := rosArgs.LogLevel
	if lvl == "fatal" {
		lvl = "error"
	}
	if _, named := overrides["log_level"]; !named && lvl != "" {
		overrides["log_level"] = lvl
	}
	ro := func(name, desc string, v params.Value) params.Definition {
		return params.Definition{Descriptor: params.Descriptor{Name: name, Type: v.Type, Description: desc, ReadOnly: true}, Value: v}
	}
	secs := func(d time.Duration) params.Value { return params.Double(d.Seconds()) }
	defs := []params.Definition{
		ro("config", "the configuration file in effect (--config, else this parameter at start)", params.String(cfg.File)),
		ro("brain.url", "the brain in effect (\"local\": the embedded one); set it at start with -p brain.url:=… or the configuration", params.String(cfg.Brain.URL)),
		ro("brain.project", "the brain project the run belongs to", params.String(cfg.Brain.Project)),
		ro("brain.namespace", "the brain's Socket.IO namespace", params.String(cfg.Brain.Namespace)),
		ro("trajectory.cycle_duration", "seconds one brain cycle's trajectory spans", secs(cfg.Trajectory.CycleDuration)),
		ro("trajectory.max_points", "the most points one trajectory has", params.Integer(int64(cfg.Trajectory.MaxPoints))),
		ro("trajectory.stop_time", "seconds after the cycle's last moving point that a trajectory comes to rest", secs(cfg.Trajectory.StopTime)),
		ro("trajectory.max_state_age", "seconds: older joint_states hold the arm", secs(cfg.Trajectory.MaxStateAge)),
		ro("state.rate_hz", "robot:state messages per second (0: off)", params.Double(cfg.State.RateHz)),
		{Descriptor: params.Descriptor{Name: "use_sim_time", Type: params.TypeBool,
			Description: "true: the node follows /clock (rosgraph_msgs/Clock) for every stamp, age and timeout on the robot's side, and commands nothing until the first /clock; the brain's timings stay on the wall clock",
			Constraints: "read at start (-p, --params-file, launch); a change at run time is refused"},
			Value: params.Bool(false), Apply: refuseSimTimeChange},
		{Descriptor: params.Descriptor{Name: "log_level", Type: params.TypeString,
			Description: "the node's log level, live (the console and /rosout)", Constraints: "one of debug, info, warn, error"},
			Value: params.String("info"), Check: params.OneOf(logLevels...), Apply: lp.setLogLevel},
		{Descriptor: params.Descriptor{Name: "trajectory.publish_idle", Type: params.TypeBool,
			Description: "live: whether a cycle that moves no joint still publishes a hold at the measured positions"},
			Value: params.Bool(cfg.Trajectory.PublishIdle), Apply: lp.setPublishIdle},
	}
	for _, j := range cfg.Joints {
		vel, acc := orZero(j.MaxVelocity), orZero(j.MaxAcceleration)
		lp.limits[j.Name] = [2]float64{vel, acc}
		for i, d := range []struct {
			key, unit string
			v         float64
		}{{"max_velocity", "per second", vel}, {"max_acceleration", "per second squared", acc}} {
			defs = append(defs, params.Definition{
				Descriptor: params.Descriptor{Name: "joints." + j.Name + "." + d.key, Type: params.TypeDouble,
					Description: fmt.Sprintf("live: the bound on joint %s's |%s| (%s) on every commanded point", j.Name, d.key[4:], d.unit),
					Constraints: "≥ 0; 0: unlimited"},
				Value: params.Double(d.v), Check: params.NonNegative, Apply: lp.setJointLimit(j.Name, i),
			})
		}
	}
	if lp.store, err = params.New(defs, overrides); err != nil {
		return nil, err
	}
	lp.initial(cfg)
	return lp, nil
}

// refuseSimTimeChange refuses use_sim_time at run time: every receipt
// time already stored is on the clock the node started with, and comparing
// them with the other clock would make each sample look ancient or from
// the future.
func refuseSimTimeChange(params.Value) error {
	return fmt.Errorf("use_sim_time is read once at start: restart the node with -p use_sim_time:=… to change the clock")
}

// useSimTime says whether the node runs on sim time (/clock).
func (lp *liveParams) useSimTime() bool {
	v, _ := lp.store.Value("use_sim_time")
	return v.Bool
}

func orZero(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// initial sets cfg and the log level to the writable parameters' initial
// values.
func (lp *liveParams) initial(cfg *config.Config) {
	if v, ok := lp.store.Value("log_level"); ok {
		_ = lp.setLogLevel(v)
	}
	if v, ok := lp.store.Value("trajectory.publish_idle"); ok {
		cfg.Trajectory.PublishIdle = v.Bool
	}
	for i := range cfg.Joints {
		j := &cfg.Joints[i]
		for k, dst := range []**float64{&j.MaxVelocity, &j.MaxAcceleration} {
			key := [2]string{"max_velocity", "max_acceleration"}[k]
			v, _ := lp.store.Value("joints." + j.Name + "." + key)
			*dst = nil
			if v.Double > 0 {
				d := v.Double
				*dst = &d
			}
			l := lp.limits[j.Name]
			l[k] = v.Double
			lp.limits[j.Name] = l
		}
	}
}

// bind gives the changes their bridge.
func (lp *liveParams) bind(br *bridge.Bridge) { lp.br = br }

func (lp *liveParams) setLogLevel(v params.Value) error {
	if lp.level == nil {
		return nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v.String)); err != nil {
		return err
	}
	lp.level.Set(l)
	return nil
}

func (lp *liveParams) setPublishIdle(v params.Value) error {
	if lp.br == nil {
		return fmt.Errorf("the bridge is not running")
	}
	ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
	defer cancel()
	return lp.br.SetPublishIdle(ctx, v.Bool)
}

// setJointLimit changes one of a joint's two bounds (which: 0 velocity, 1
// acceleration); the bridge takes both at once.
func (lp *liveParams) setJointLimit(joint string, which int) func(params.Value) error {
	return func(v params.Value) error {
		if lp.br == nil {
			return fmt.Errorf("the bridge is not running")
		}
		l := lp.limits[joint]
		l[which] = v.Double
		ctx, cancel := context.WithTimeout(context.Background(), applyTimeout)
		defer cancel()
		if err := lp.br.SetJointLimits(ctx, joint, l[0], l[1]); err != nil {
			return err
		}
		lp.limits[joint] = l
		return nil
	}
}
