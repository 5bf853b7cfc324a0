package brain

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

// Event names of the realtime channel (PROTOCOL §3).
const (
	EventRunJoin     = "run:join"
	EventNeed        = "io:need"
	EventChunk       = "io:chunk"
	EventRobotState  = "robot:state"
	EventCycleUpdate = "cycle:update"
	EventReward      = "learn:reward"
	EventRobotCmd    = "robot:cmd"
)

// Need is one io:need: the inputs the brain wants for a cycle.
type Need struct {
	RunID      string // empty when the server did not say
	Cycle      int64
	Needs      []NeedItem
	DeadlineMs int // 0 when the server set no deadline
	At         time.Time
}

// NeedItem is one input the brain wants. Extra holds every other field the
// server sent with it.
type NeedItem struct {
	ID, Kind string
	Extra    map[string]any
}

// CycleUpdate is the telemetry of one brain cycle. Outputs stays as the
// server sent it (rows of two shapes); internal/spikes parses the rows.
// A cycle:update in the form brains write it is read straight off the wire
// instead (wire.go): then Rows holds its rows, and Outputs and Raw are nil.
type CycleUpdate struct {
	RunID   string // empty when the server did not say
	Cycle   int64
	Outputs []any
	Rows    []spikes.SpikeRow // non-nil when read off the wire; every row good
	Raw     map[string]any
	At      time.Time
	// Read is when the engine packet that carried it was read off the
	// socket, before the library decoded it (zero when unknown): the start
	// of the node's own share of the cycle's latency. It is the last
	// packet's stamp, so it is exact while no other message lands between
	// the cycle:update's read and its decode, as at the brain's pace.
	Read time.Time
}

// errMalformed marks a payload that does not have the protocol's shape.
var errMalformed = errors.New("malformed payload")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...)
}

// parseNeed validates an io:need payload completely before anything of it
// is used: a half-parsed need is worse than none.
func parseNeed(payload any, at time.Time) (Need, error) {
	doc, ok := payload.(map[string]any)
	if !ok {
		return Need{}, malformed("io:need is %s, want an object", typeName(payload))
	}
	n := Need{At: at}
	var err error
	if n.RunID, err = optString(doc, "runId"); err != nil {
		return Need{}, err
	}
	if n.Cycle, err = reqCycle(doc); err != nil {
		return Need{}, err
	}
	if n.DeadlineMs, err = optDeadline(doc); err != nil {
		return Need{}, err
	}
	list, ok := doc["needs"].([]any)
	if !ok {
		return Need{}, malformed("io:need needs is %s, want a list", typeName(doc["needs"]))
	}
	n.Needs = make([]NeedItem, 0, len(list))
	for i, item := range list {
		ni, err := parseNeedItem(i, item)
		if err != nil {
			return Need{}, err
		}
		n.Needs = append(n.Needs, ni)
	}
	return n, nil
}

func parseNeedItem(i int, item any) (NeedItem, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return NeedItem{}, malformed("io:need needs[%d] is %s, want an object", i, typeName(item))
	}
	id, ok := m["id"].(string)
	if !ok || id == "" {
		return NeedItem{}, malformed("io:need needs[%d] has no string id", i)
	}
	kind, err := optString(m, "kind")
	if err != nil {
		return NeedItem{}, fmt.Errorf("needs[%d]: %w", i, err)
	}
	ni := NeedItem{ID: id, Kind: kind}
	for k, v := range m {
		if k == "id" || k == "kind" {
			continue
		}
		if ni.Extra == nil {
			ni.Extra = make(map[string]any, len(m)-2)
		}
		ni.Extra[k] = v
	}
	return ni, nil
}

// parseCycleUpdate validates a cycle:update payload. Rows of outputs are
// not looked into here: a bad row must not cost the whole cycle.
func parseCycleUpdate(payload any, at time.Time) (CycleUpdate, error) {
	if w, ok := payload.(*wireCycle); ok {
		return CycleUpdate{RunID: w.RunID, Cycle: w.Cycle, Rows: w.Rows, At: at}, nil
	}
	doc, ok := payload.(map[string]any)
	if !ok {
		return CycleUpdate{}, malformed("cycle:update is %s, want an object", typeName(payload))
	}
	u := CycleUpdate{Raw: doc, At: at}
	var err error
	if u.RunID, err = optString(doc, "runId"); err != nil {
		return CycleUpdate{}, err
	}
	if u.Cycle, err = reqCycle(doc); err != nil {
		return CycleUpdate{}, err
	}
	switch outs := doc["outputs"].(type) {
	case nil:
	case []any:
		u.Outputs = outs
	default:
		return CycleUpdate{}, malformed("cycle:update outputs is %s, want a list", typeName(outs))
	}
	return u, nil
}

// reqCycle reads the mandatory cycle: a whole, non-negative number.
func reqCycle(doc map[string]any) (int64, error) {
	v, present := doc["cycle"]
	if !present || v == nil {
		return 0, malformed("cycle is missing")
	}
	f, ok := v.(float64)
	if !ok {
		return 0, malformed("cycle is %s, want a number", typeName(v))
	}
	if math.IsNaN(f) || f < 0 || f != math.Trunc(f) || f > 1<<53 {
		return 0, malformed("cycle %v is not a whole non-negative number", f)
	}
	return int64(f), nil
}

func optDeadline(doc map[string]any) (int, error) {
	v, present := doc["deadlineMs"]
	if !present || v == nil {
		return 0, nil
	}
	f, ok := v.(float64)
	if !ok {
		return 0, malformed("deadlineMs is %s, want a number", typeName(v))
	}
	if math.IsNaN(f) || f < 0 || f > math.MaxInt32 {
		return 0, malformed("deadlineMs %v is out of range", f)
	}
	return int(f), nil
}

func optString(doc map[string]any, key string) (string, error) {
	v, present := doc[key]
	if !present || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", malformed("%s is %s, want a string", key, typeName(v))
	}
	return s, nil
}

// typeName names a decoded JSON value's type the way a protocol reader
// thinks of it.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
