package diagnostics

import (
	"fmt"
	"strconv"
)

// Level is a DiagnosticStatus level; the values are the message's own.
type Level byte

const (
	OK    Level = 0
	Warn  Level = 1
	Error Level = 2
	Stale Level = 3
)

func (l Level) String() string {
	switch l {
	case OK:
		return "OK"
	case Warn:
		return "WARN"
	case Error:
		return "ERROR"
	case Stale:
		return "STALE"
	}
	return "LEVEL(" + strconv.Itoa(int(l)) + ")"
}

// KeyValue is one figure of a status, as diagnostic_msgs/KeyValue.
type KeyValue struct {
	Key, Value string
}

// Status is one component's diagnosis, as diagnostic_msgs/DiagnosticStatus.
type Status struct {
	Level      Level
	Name       string
	Message    string
	HardwareID string
	Values     []KeyValue
}

// Value returns the value of key, and whether the status has it.
func (s Status) Value(key string) (string, bool) {
	for _, kv := range s.Values {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// Component names, after "<node name>: ".
const (
	ComponentLink     = "brain link"
	ComponentCycles   = "cycles"
	ComponentInputs   = "inputs"
	ComponentCommands = "commands"
	ComponentLearning = "learning"
	// ComponentDevice is the device's own counters (brain.kind primalux).
	ComponentDevice = "prima-lux device"
)

// verdict collects the problems of one status: the worst level wins and
// the message gives every reason, in the order found. STALE never goes
// through it: a component with nothing to judge has no other verdict.
type verdict struct {
	level   Level
	reasons []string
}

func (v *verdict) add(l Level, reason string) {
	v.level = max(v.level, l)
	v.reasons = append(v.reasons, reason)
}

// warnGrew adds a WARN when a counter grew in the period; format takes
// the growth as its one %d.
func (v *verdict) warnGrew(n int64, format string) {
	if n > 0 {
		v.add(Warn, fmt.Sprintf(format, n))
	}
}

func (v *verdict) message(ok string) string {
	if len(v.reasons) == 0 {
		return ok
	}
	m := v.reasons[0]
	for _, r := range v.reasons[1:] {
		m += "; " + r
	}
	return m
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
