package localbrain

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/zishang520/socket.io/v3/pkg/types"
)

// recorder writes every received event as one JSON line:
// {"time","event","run","socket","payload"}, binary data as base64 text.
type recorder struct {
	mu     sync.Mutex
	enc    *json.Encoder
	log    *slog.Logger
	failed int
}

func newRecorder(w io.Writer, log *slog.Logger) *recorder {
	r := &recorder{log: log}
	if w != nil {
		r.enc = json.NewEncoder(w)
	}
	return r
}

type recordLine struct {
	Time    time.Time `json:"time"`
	Event   string    `json:"event"`
	Run     string    `json:"run,omitempty"`
	Socket  string    `json:"socket"`
	Payload any       `json:"payload"`
}

func (r *recorder) write(at time.Time, event, run, sock string, args []any) {
	if r.enc == nil {
		return
	}
	var payload any
	list := []any{}
	for _, a := range args {
		list = append(list, jsonable(a))
	}
	if len(list) == 1 {
		payload = list[0]
	} else {
		payload = list
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.enc.Encode(recordLine{Time: at, Event: event, Run: run, Socket: sock, Payload: payload}); err != nil {
		r.failed++
		if r.failed == 1 {
			r.log.Error("recording events failed", "err", err)
		}
	}
}

// jsonable turns binary attachments into base64 text, recursively.
func jsonable(v any) any {
	switch x := v.(type) {
	case types.BufferInterface:
		return base64.StdEncoding.EncodeToString(x.Bytes())
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonable(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonable(e)
		}
		return out
	}
	return v
}
