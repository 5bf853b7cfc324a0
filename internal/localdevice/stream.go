package localdevice

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/abbridge/ab_bridge/internal/localbrain"
)

// Item is one output frame as the stream and /api/brain/events carry it:
// step is the neural timesteps run in this epoch by the frame's end, each
// output entry one timestep t in [step−StepsPerFrame, step) with spikes,
// neurons named "POPULATION:index"; actuation counts each output
// population's spikes over the frame.
type Item struct {
	Step      int       `json:"step"`
	Outputs   []Spikes  `json:"outputs"`
	Actuation Actuation `json:"actuation"`
}

// Spikes is the neurons that fired at one timestep.
type Spikes struct {
	T       int      `json:"t"`
	Neurons []string `json:"neurons"`
}

// Actuation is the channel counts of one frame.
type Actuation struct {
	Channels map[string]int `json:"channels"`
}

// frame is one published frame of the current epoch.
type frame struct {
	seq  int
	item Item
	sse  []byte // the frame event, encoded once for every stream
}

// subscriber is one open stream. Every field is guarded by Device.mu but
// ch, which the stream's handler reads.
type subscriber struct {
	ch     chan []byte
	gone   chan struct{} // closed when the device ends the stream
	final  []byte        // the event to send before closing (nil: just close)
	closed bool
}

const subscriberBuffer = 64

func (s *subscriber) send(ev []byte) bool {
	if s.closed {
		return false
	}
	select {
	case s.ch <- ev:
		return true
	default:
		return false
	}
}

func (s *subscriber) finish(final []byte) {
	if s.closed {
		return
	}
	s.closed, s.final = true, final
	close(s.gone)
}

// publishLocked makes rows the next frame of the epoch, keeps it for
// replay and hands it to every stream; a stream too slow to take it is
// closed (its client reconnects from its cursor and gets the frames again).
func (d *Device) publishLocked(rows []localbrain.VectorRow, steps int) {
	first := d.step
	d.step += steps
	d.seq++
	item := Item{Step: d.step, Outputs: []Spikes{}, Actuation: Actuation{Channels: map[string]int{}}}
	for _, p := range d.brain.Outputs {
		item.Actuation.Channels[p.ID] = 0
	}
	for _, r := range rows {
		t := first + r.T
		if n := len(item.Outputs); n == 0 || item.Outputs[n-1].T != t {
			item.Outputs = append(item.Outputs, Spikes{T: t})
		}
		last := &item.Outputs[len(item.Outputs)-1]
		for _, i := range r.Spiking {
			last.Neurons = append(last.Neurons, r.ID+":"+strconv.Itoa(i))
		}
		item.Actuation.Channels[r.ID] += len(r.Spiking)
	}
	f := frame{seq: d.seq, item: item}
	f.sse = sseEvent("frame", d.cursorLocked(d.seq), map[string]any{"epoch": d.epoch, "sequence": d.seq, "item": item})
	if len(d.ring) == d.conf.ReplayFrames {
		d.ring = append(d.ring[:0], d.ring[1:]...)
	}
	d.ring = append(d.ring, f)
	d.counters.Frames++
	for s := range d.subs {
		if !s.send(f.sse) {
			s.finish(nil)
			delete(d.subs, s)
			d.counters.StreamDrops++
		}
	}
}

func (d *Device) cursorLocked(seq int) string { return d.epoch + ":" + strconv.Itoa(seq) }

// dropStreamsLocked closes every stream without a word, as a device that
// goes away does.
func (d *Device) dropStreamsLocked() {
	for s := range d.subs {
		s.finish(nil)
		delete(d.subs, s)
	}
}

// sseEvent encodes one server-sent event.
func sseEvent(kind, id string, data any) []byte {
	body, err := json.Marshal(data)
	if err != nil {
		body = []byte(`{"message":"unencodable event"}`)
	}
	var b bytes.Buffer
	if id != "" {
		fmt.Fprintf(&b, "id: %s\n", id)
	}
	fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", kind, body)
	return b.Bytes()
}

func resetEvent(oldEpoch, newEpoch, reason string) []byte {
	return sseEvent("reset", "", map[string]any{
		"message": fmt.Sprintf("Prima-Lux output epoch changed (%s): frames of epoch %s are gone; the device is at epoch %s. Reconnect explicitly.", reason, oldEpoch, newEpoch),
		"epoch":   newEpoch, "previous_epoch": oldEpoch, "reason": reason,
	})
}

// parseCursor reads "epoch:sequence"; "" is no cursor.
func parseCursor(c string) (epoch string, seq int, err error) {
	i := strings.LastIndexByte(c, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("cursor %q is not epoch:sequence", c)
	}
	seq, err = strconv.Atoi(c[i+1:])
	if err != nil || seq < 0 {
		return "", 0, fmt.Errorf("cursor %q: sequence is not a whole number", c)
	}
	return c[:i], seq, nil
}

// streamPlan is what one stream request gets: a hello and its backlog, or
// one closing event (reset, gap, error).
type streamPlan struct {
	events [][]byte
	sub    *subscriber
}

// planStreamLocked decides the start of a stream from its cursor and, when
// it can follow, subscribes it.
func (d *Device) planStreamLocked(cursor string, replay bool) (streamPlan, error) {
	oldest := d.seq + 1 // the first frame still kept
	if len(d.ring) > 0 {
		oldest = d.ring[0].seq
	}
	from := d.seq // frames after this one are sent
	if cursor == "" {
		if replay {
			from = oldest - 1
		}
	} else {
		epoch, seq, err := parseCursor(cursor)
		if err != nil {
			return streamPlan{}, err
		}
		switch {
		case epoch != d.epoch:
			return streamPlan{events: [][]byte{resetEvent(epoch, d.epoch, "the cursor names another epoch")}}, nil
		case seq > d.seq:
			return streamPlan{events: [][]byte{sseEvent("error", "", map[string]any{
				"message": fmt.Sprintf("cursor %s is ahead of the device's last frame %s", cursor, d.cursorLocked(d.seq)),
			})}}, nil
		case seq < oldest-1:
			return streamPlan{events: [][]byte{sseEvent("gap", "", map[string]any{
				"message": fmt.Sprintf("frames after %s are no longer kept: the oldest kept is %s", cursor, d.cursorLocked(oldest)),
				"cursor":  cursor, "oldest": d.cursorLocked(oldest),
			})}}, nil
		}
		from = seq
	}
	plan := streamPlan{events: [][]byte{sseEvent("hello", "", map[string]any{"cursor": d.cursorLocked(from), "epoch": d.epoch})}}
	for _, f := range d.ring {
		if f.seq > from {
			plan.events = append(plan.events, f.sse)
		}
	}
	plan.sub = &subscriber{ch: make(chan []byte, subscriberBuffer), gone: make(chan struct{})}
	d.subs[plan.sub] = struct{}{}
	return plan, nil
}

// serveStream is GET /api/brain/stream?replay=0|1&cursor=epoch:sequence.
func (d *Device) serveStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var replay bool
	switch q.Get("replay") {
	case "", "0", "false":
	case "1", "true":
		replay = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("replay %q, want 0 or 1", q.Get("replay")))
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	d.mu.Lock()
	plan, err := d.planStreamLocked(q.Get("cursor"), replay)
	d.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if plan.sub != nil {
		defer func() {
			d.mu.Lock()
			plan.sub.finish(nil)
			delete(d.subs, plan.sub)
			d.mu.Unlock()
		}()
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	for _, ev := range plan.events {
		if _, err := w.Write(ev); err != nil {
			return
		}
	}
	flusher.Flush()
	if plan.sub == nil {
		return
	}
	d.follow(w, flusher, r, plan.sub)
}

// follow writes a subscriber's events until the device or the client ends
// the stream, with a comment line when nothing else was written for a
// heartbeat period.
func (d *Device) follow(w http.ResponseWriter, flusher http.Flusher, r *http.Request, s *subscriber) {
	heartbeat := time.NewTicker(d.conf.Heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case ev := <-s.ch:
			if _, err := w.Write(ev); err != nil {
				return
			}
		case <-s.gone:
		drain:
			for {
				select {
				case ev := <-s.ch:
					_, _ = w.Write(ev)
				default:
					break drain
				}
			}
			if s.final != nil {
				_, _ = w.Write(s.final)
			}
			flusher.Flush()
			return
		case <-heartbeat.C:
			if _, err := w.Write([]byte(": keepalive\n\n")); err != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
		flusher.Flush()
	}
}

// serveEvents is GET /api/brain/events: the newest frames of the epoch, for
// clients that poll instead of streaming.
func (d *Device) serveEvents(w http.ResponseWriter, _ *http.Request) {
	const most = 100
	d.mu.Lock()
	ring := d.ring[max(0, len(d.ring)-most):]
	items := make([]Item, len(ring))
	for i, f := range ring {
		items[i] = f.item
	}
	body := map[string]any{"ok": true, "epoch": d.epoch, "cursor": d.cursorLocked(d.seq), "items": items}
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}
