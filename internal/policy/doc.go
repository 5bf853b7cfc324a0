// Package policy owns the bridge's learning signals: the reward policy (a
// global reward and one per STDP3 layer, each in [0, 1], 0.5 neutral) and the
// deviation policy (per feedback input, T values in [-1, 1], 0 neutral),
// both built from YAML components, validated against the run contract, and
// the templates `abctl sync-policies` writes into a policies folder.
//
// The package never sees ROS: each cycle the caller fills an Inputs (joint
// positions, the latest value of each topic a policy asked for through
// Topics, with its receive time) and calls Compute. Compute never panics
// and never returns a value out of range: a component that fails or returns
// NaN/±Inf is logged (once per component and kind, then at most once a
// minute), counted in Stats and replaced by the neutral value for that cycle.
//
// # Files
//
// reward_policy.yaml:
//
//	signals:    named values for expressions (see below)
//	global:     {combine: mean|min|max, components: [...]}   default: constant 0.5
//	layers:     {<stdp3 layer>: {combine, components}}        overrides; others get global
//	modulation: {enabled, time_constant, gain, baseline}      off by default
//
// Reward components (one kind key each, plus an optional weight for mean):
// constant {value}; topic {topic, type, timeout, fallback} (std_msgs
// Float64/Float32); joint_target {target | target_topic + joints, timeout,
// success_distance, min_improvement, success, improved, otherwise};
// expression "<expr over signals>".
//
// deviation_policy.yaml:
//
//	signals:  named values for expressions
//	feedback: {<feedback id>: <one component>}   ids not listed send zeros
//
// Deviation components: zero {}; joint_error {joint, target | target_topic,
// timeout, range, shape: constant|ramp, invert}; topic {topic, timeout, fit:
// resample|hold|zeros} (std_msgs/Float64MultiArray); expression "<expr>",
// evaluated once per timestep with t and T.
//
// The shipped templates (RewardTemplate, DeviationTemplate) document every
// key; validation errors name file:line.
//
// # joint_target
//
// d is the Euclidean distance between the target and the current positions
// of the listed joints. The SDK's default reward policy scores a cycle 1.0 on
// success, 0.6 if the distance at its end is below the distance at its
// start, else 0.4; here: d <= success_distance gives success, d_prev - d >
// min_improvement (d_prev: the distance at the previous Compute) gives
// improved, anything else (including the first cycle) gives otherwise.
//
// # Reward modulation
//
// Off by default. When on, each reward stream (global, and each overridden
// layer) r_k becomes a dopamine-like prediction error around a running
// baseline b, the reward the stream has led the policy to expect:
//
//	b_k = b_{k−1} + (1 − exp(−Δt_k/τ))·(r_{k−1} − b_{k−1})
//	m_k = clamp(0.5 + gain·(r_k − b_k), 0, 1)
//
// Δt_k is the time since the previous cycle (the first cycle uses b_0, the
// configured baseline, default 0.5), τ the time_constant (default 2s), gain
// default 1. The baseline update is the exact solution of τ·db/dt = r − b
// for a reward held from one cycle to the next, so it does not depend on
// the cycle rate. A reward that stays constant decays to the neutral 0.5
// with time constant τ; a reward better than recently expected sends more
// than 0.5, a worse one less.
// Layers without an override receive the modulated global value.
//
// The reference SDK's README advertises a "reward modulation helper", but
// its 0.1.6 wheel ships no such module (nor the ab_sdk.utils its docstrings
// refer to): its reward path only clamps each value to [0, 1] and fills
// missing layers with the global reward, which Compute does too. With
// modulation off, the two send the same rewards for the same policy.
package policy
