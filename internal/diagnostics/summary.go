package diagnostics

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
)

// Startup is what the node logs once at start: what answers each brain
// input, what each output drives, and which brain, run, contract and
// policies it serves. It never holds the API key (see RedactURL).
type Startup struct {
	Node           string
	BrainURL       string // redacted
	RealtimeURL    string // redacted; a device's output stream on the device path
	Namespace      string // the realtime namespace (none on the device path)
	Run            string
	ContractDigest string // sha256 of the contract's stable view, or why it is unknown
	Policies       []string
	Command        string // the command topic and its type
	Inputs         []StartupInput
	Outputs        []StartupOutput
}

// StartupInput is one brain input and what answers it.
type StartupInput struct {
	ID, Kind, Topic, Type, Note string
}

// StartupOutput is one brain output population and what it drives.
type StartupOutput struct {
	ID, Channel, Joint, Scheme string
}

// trajectoryType is what the node publishes on its command topic.
const trajectoryType = "trajectory_msgs/JointTrajectory"

// NewStartup fills the inputs and outputs from the configuration and the
// run's contract. remaps are the node's topic remappings (from → to), so
// that the table shows where each topic really is; commandTopic and
// jointStatesTopic are the node's own names for its two fixed topics.
func NewStartup(cfg *config.Config, ct *contract.Contract, remaps map[string]string, jointStatesTopic, commandTopic string) Startup {
	s := Startup{Command: topic(commandTopic, remaps) + " (" + trajectoryType + ")"}
	configured := map[string]bool{}
	for _, in := range cfg.Inputs {
		configured[in.ID] = true
		row := StartupInput{ID: in.ID, Kind: in.Kind}
		switch in.Kind {
		case contract.KindProprioception:
			row.Topic, row.Type, row.Note = topic(jointStatesTopic, remaps), "sensor_msgs/JointState", "position of "+in.Joint
		case contract.KindFeedback:
			row.Topic, row.Type, row.Note = "—", orDefault(in.Format, "deviation_f32"), "from the deviation policy"
		default:
			row.Topic, row.Type = topic(in.TopicName(), remaps), in.MessageType()
		}
		s.Inputs = append(s.Inputs, row)
	}
	if ct != nil {
		for _, p := range ct.IO.Inputs {
			if !configured[p.ID] {
				s.Inputs = append(s.Inputs, StartupInput{ID: p.ID, Kind: p.Kind, Topic: "—", Type: "—", Note: "not configured: its needs are skipped"})
			}
		}
	}
	var outputs []string
	if ct != nil {
		for _, p := range ct.IO.Outputs {
			outputs = append(outputs, p.ID)
		}
	}
	mapped := map[string]bool{}
	for _, m := range cfg.Mapping {
		mapped[m.NodeID] = true
		if !slices.Contains(outputs, m.NodeID) {
			outputs = append(outputs, m.NodeID)
		}
	}
	for _, id := range outputs {
		if !mapped[id] {
			s.Outputs = append(s.Outputs, StartupOutput{ID: id, Channel: "—", Joint: "— (no mapping entry)", Scheme: "—"})
			continue
		}
		for _, m := range cfg.Mapping {
			if m.NodeID != id {
				continue
			}
			s.Outputs = append(s.Outputs, StartupOutput{ID: id, Channel: m.Channel, Joint: jointOf(cfg, m.Channel),
				Scheme: orDefault(m.Scheme, "bipolarSplit")})
		}
	}
	return s
}

// jointOf names what a channel drives: the joint of a joint:<i> channel,
// the gripper joint of a gripper channel and the base of a wheel or base
// channel when their sections are configured; anything else is decoded
// but not published.
func jointOf(cfg *config.Config, channel string) string {
	if i, ok := strings.CutPrefix(channel, "joint:"); ok {
		if n, err := strconv.Atoi(i); err == nil && n >= 0 && n < len(cfg.Joints) {
			return cfg.Joints[n].Name
		}
	}
	switch {
	case cfg.Gripper != nil && config.IsGripperChannel(channel):
		return cfg.Gripper.Joint + " (gripper)"
	case cfg.Base != nil && config.IsBaseChannel(channel):
		return "cmd_vel (base)"
	}
	return "— (decoded, not published)"
}

func topic(name string, remaps map[string]string) string {
	if to, ok := remaps[name]; ok && to != name {
		return name + " → " + to
	}
	return name
}

// Table renders the summary: a few lines of settings, then the inputs and
// the outputs, each as an aligned table.
func (s Startup) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "node\t%s\n", s.Node)
	fmt.Fprintf(w, "brain\t%s\n", s.BrainURL)
	if s.Namespace != "" {
		fmt.Fprintf(w, "realtime\t%s namespace %s\n", s.RealtimeURL, s.Namespace)
	} else if s.RealtimeURL != "" { // a device's output stream has none
		fmt.Fprintf(w, "realtime\t%s\n", s.RealtimeURL)
	}
	fmt.Fprintf(w, "run\t%s\n", s.Run)
	fmt.Fprintf(w, "contract sha256\t%s\n", s.ContractDigest)
	fmt.Fprintf(w, "policies\t%s\n", strings.Join(s.Policies, ", "))
	fmt.Fprintf(w, "commands\t%s\n", s.Command)
	_ = w.Flush()
	b.WriteString("\n")
	w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "INPUT\tKIND\tTOPIC\tTYPE\tNOTE")
	for _, in := range s.Inputs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", in.ID, in.Kind, in.Topic, in.Type, in.Note)
	}
	_ = w.Flush()
	b.WriteString("\n")
	w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "OUTPUT\tCHANNEL\tJOINT\tSCHEME")
	for _, o := range s.Outputs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.ID, o.Channel, o.Joint, o.Scheme)
	}
	_ = w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// redacted is what stands for a secret in a URL.
const redacted = "REDACTED"

// secretParams are query parameter names (lower case, substrings) whose
// values are never shown: a brain URL may carry a token in its query.
var secretParams = []string{"key", "token", "secret", "auth", "pass", "sig"}

// RedactURL is raw fit for a log or a diagnostic: a password in the user
// info, the values of query parameters that look like credentials, and
// every occurrence of key itself replaced. An unparsable URL is shown only
// with key removed.
func RedactURL(raw, key string) string {
	out := raw
	if u, err := url.Parse(raw); err == nil {
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), redacted)
			}
		}
		q := u.Query()
		changed := false
		for name := range q {
			for _, s := range secretParams {
				if strings.Contains(strings.ToLower(name), s) {
					q.Set(name, redacted)
					changed = true
					break
				}
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		out = u.String()
	}
	if key != "" {
		out = strings.ReplaceAll(out, key, redacted)
		out = strings.ReplaceAll(out, url.QueryEscape(key), redacted)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
