package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"github.com/abbridge/ab_bridge/internal/contract"
)

// File names of the user-owned policies in a policies folder.
const (
	RewardFileName    = "reward_policy.yaml"
	DeviationFileName = "deviation_policy.yaml"
)

// RewardTemplate is the reward policy a policies folder starts with: the
// neutral constant 0.5 (as the SDK's default policy), every key documented,
// the contract's STDP3 layers named. c may be nil.
func RewardTemplate(c *contract.Contract) []byte {
	var layers []string
	if c != nil {
		layers = c.IO.STDP3
	}
	var b bytes.Buffer
	b.WriteString(rewardHead)
	fmt.Fprintf(&b, "# STDP3 layers of this contract: %s\n", commentList(layers))
	b.WriteString(rewardBody)
	if len(layers) == 0 {
		b.WriteString("#   some_layer:\n#     components:\n#       - constant: {value: 0.5}\n")
	}
	for _, l := range layers {
		fmt.Fprintf(&b, "#   %s:\n", yamlKey(l))
		b.WriteString("#     components:\n#       - constant: {value: 0.5}\n")
	}
	b.WriteString(rewardTail)
	return b.Bytes()
}

// DeviationTemplate is the deviation policy a policies folder starts with:
// zeros for every feedback input of the contract, every key documented. c
// may be nil.
func DeviationTemplate(c *contract.Contract) []byte {
	var b bytes.Buffer
	b.WriteString(deviationHead)
	var ids []string
	if c != nil {
		for _, fb := range c.IO.Feedback {
			ids = append(ids, fb.ID)
			fmt.Fprintf(&b, "#   %s: n=%d, from output %s (%s)\n", strconv.Quote(fb.ID), fb.N, strconv.Quote(fb.FromOutput), strconv.Quote(fb.OutputKind))
		}
	}
	if len(ids) == 0 {
		b.WriteString("#   (none)\n")
	}
	b.WriteString(deviationBody)
	if len(ids) == 0 {
		b.WriteString("feedback: {}\n")
		return b.Bytes()
	}
	b.WriteString("feedback:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  %s:\n    zero: {}\n", yamlKey(id))
	}
	return b.Bytes()
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*$`)

// yamlKey writes an id as a YAML key: plain when safe, else double-quoted
// (a JSON string is a valid YAML double-quoted scalar).
func yamlKey(s string) string {
	if plainKey.MatchString(s) && !yamlSpecial[s] {
		return s
	}
	b, _ := jsonString(s)
	return b
}

// Plain scalars YAML would read as something other than the string.
var yamlSpecial = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true, "null": true, "y": true, "n": true}

func commentList(ids []string) string {
	if len(ids) == 0 {
		return "(none)"
	}
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(id)
	}
	return s
}

const rewardHead = `# Reward policy of ab_bridge (user-owned: created once by sync-policies,
# never overwritten; edit freely). Each brain cycle the bridge sends a global
# reward and one per STDP3 layer, each in [0, 1]; 0.5 is neutral (no
# learning push either way), higher is better. Unknown keys are errors
# reported as file:line; the file is checked against the contract at load.
`

const rewardBody = `
# (optional) signals: named values for expression components.
#   <name>: {joint: J}                     position of joint J (joint_states)
#   <name>: {joint: J, velocity: true}     its velocity
#   <name>: {topic: T, type: std_msgs/Float64, timeout: 1s, fallback: 0.0}
#            a number a task node publishes (type std_msgs/Float64, the
#            default, or std_msgs/Float32)
#   <name>: {topic: T, type: sensor_msgs/JointState, joint: J, timeout: 1s}
#            the position (velocity: true for the velocity) of J on topic T
# timeout (optional, default 1s; 0 = never stale): an older message is
# stale. fallback (optional): the value used while a signal is stale or
# missing; without one the component fails that cycle (neutral sent).
# Expressions also see cycle (integer) and elapsed (seconds since the first
# cycle). Names are identifiers and not built-in names.
signals: {}
#  shoulder: {joint: shoulder}
#  score: {topic: /task/score, fallback: 0.5}

# global: how the global reward is made (default: constant 0.5).
#   combine (optional): mean (weighted by each component's weight, default),
#     min or max of the components.
#   components: one or more, each with exactly one of the kinds below and an
#     optional weight (positive, default 1; used by mean), e.g.
#   - constant: {value: 0.5}
#     weight: 2
#       a fixed reward in [0, 1].
#   - topic: {topic: /task/reward, type: std_msgs/Float64, timeout: 1s, fallback: 0.5}
#       the latest value a task node publishes (std_msgs/Float64 or
#       Float32); fallback (default 0.5) while none arrived within timeout
#       (default 1s; 0 = never stale).
#   - joint_target:
#       target: {shoulder: 0.6, elbow: -0.4}  # target position per joint, and/or
#       target_topic: /arm/target             # sensor_msgs/JointState with the targets
#       joints: [shoulder, elbow]             # (optional) default: the keys of target
#       timeout: 1s                           # (optional) target_topic staleness; then target is used
#       success_distance: 0.05                # (optional) distance counted as success
#       min_improvement: 0.0                  # (optional) distance drop counted as improved
#       success: 1.0                          # (optional) reward on success
#       improved: 0.6                         # (optional) reward when the distance dropped
#       otherwise: 0.4                        # (optional) reward otherwise (also the first cycle)
#     distance = Euclidean norm of target - position over the joints.
#     Improved means: distance at the previous cycle - distance now >
#     min_improvement (the SDK's default policy: end distance < start distance).
#   - expression: "clamp(1 - abs(0.6 - shoulder), 0, 1)"
#       a number computed from signals, cycle and elapsed (expr language:
#       + - * / ** %, comparisons, cond ? a : b, abs, min, max, floor, ceil,
#       round, clamp(x, lo, hi), sqrt, exp, log, tanh, hypot). Checked when
#       the file is loaded; compile errors name their line.
# A component that fails or returns NaN/Inf counts, is logged, and gives 0.5
# for that cycle. The combined reward is clamped to [0, 1] (counted).
global:
  combine: mean
  components:
    - constant: {value: 0.5}

# (optional) layers: per-STDP3-layer overrides, each like global (combine,
# components). A layer not listed receives the global reward. Naming a layer
# the contract does not have is an error. For example:
# layers:
`

const rewardTail = `layers: {}

# (optional) modulation: a dopamine-like reward prediction error, off by
# default. A running baseline b (starting at baseline) follows each reward
# stream r (global, and each overridden layer) with time constant tau:
#   b += (1 - exp(-dt / tau)) * (r_previous - b)   (dt: time since the last cycle)
# and the brain is sent the prediction error around 0.5:
#   sent = clamp(0.5 + gain * (r - b), 0, 1)
# so a steady reward decays to 0.5, a better than expected one sends > 0.5.
modulation:
  enabled: false
  time_constant: 2s   # (optional) how fast the baseline follows; default 2s
  gain: 1.0           # (optional) scale of the prediction error; default 1.0
  baseline: 0.5       # (optional) initial baseline in [0, 1]; default 0.5
`

const deviationHead = `# Deviation policy of ab_bridge (user-owned: created once by sync-policies,
# never overwritten; edit freely). For each feedback input the bridge sends
# T (= gamma) values in [-1, 1] per cycle; 0 is neutral (no correction).
# The protocol reads positive as "above target", negative as "below".
# Unknown keys are errors reported as file:line; the file is checked against
# the contract at load.
#
# Feedback inputs of this contract:
`

const deviationBody = `
# (optional) signals: named values for expression components, as in the
# reward policy ({joint: J}, {joint: J, velocity: true}, {topic: T, type:
# std_msgs/Float64 | std_msgs/Float32, fallback}, {topic: T, type:
# sensor_msgs/JointState, joint: J}) plus arrays:
#   <name>: {topic: T, type: std_msgs/Float64MultiArray, timeout: 1s, fallback: 0}
#            resampled to T values; an expression sees its value at step t.
signals: {}

# feedback: one component per feedback id; ids not listed send zeros.
# Naming an id the contract does not have is an error. Kinds:
#   zero: {}
#       all zeros.
#   joint_error:
#       joint: shoulder        # the joint (from joint_states)
#       target: 0.6            # its target position, and/or
#       target_topic: /arm/target   # sensor_msgs/JointState with the target
#       timeout: 1s            # (optional) target_topic staleness; then target is used
#       range: 1.0             # error that maps to 1: e = (position - target) / range
#       invert: false          # (optional) send -e, i.e. (target - position) / range
#       shape: constant        # (optional) constant: e at every step; ramp: a
#                              # straight line from the previous cycle's e
#                              # (0 at first) to e at the last step
#   topic: {topic: /arm/deviation, timeout: 1s, fit: resample}
#       a std_msgs/Float64MultiArray; fit to T steps by resample (linear
#       interpolation, default), hold (first T values, padded with the last)
#       or zeros (first T values, padded with 0). Zeros while none arrived
#       within timeout (default 1s; 0 = never stale).
#   expression: "clamp((0.6 - shoulder) * (t + 1) / T, -1, 1)"
#       evaluated once per step t = 0..T-1, with signals, t, T, cycle and
#       elapsed (same language and functions as in the reward policy).
# A component that fails or gives NaN/Inf counts, is logged and sends zeros
# for that cycle; values outside [-1, 1] are clamped (counted).
`

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}
