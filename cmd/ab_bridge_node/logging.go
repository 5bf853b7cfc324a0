package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Log formats (--log-format).
const (
	logFormatROS  = "ros"  // [LEVEL] [time] [node]: msg key=value …
	logFormatText = "text" // slog's key=value lines
	logFormatJSON = "json" // slog's JSON lines
)

// rosSink writes one rendered line through the ROS node: on /rosout, and
// on the console through rcl when console is set.
type rosSink func(level slog.Level, msg string, console bool)

// nodeLog is the node's one slog handler. Every line also goes to /rosout
// once the ROS node exists (setSink). In the ROS format rcl then prints the
// console line itself (its format and settings, e.g.
// RCUTILS_CONSOLE_OUTPUT_FORMAT), so this handler prints only what comes
// before; in the structured formats it prints every line itself.
type nodeLog struct {
	format string
	level  slog.Leveler
	name   string        // for the ROS format before the node exists
	out    *lockedWriter // the console
	inner  slog.Handler  // the structured console handler (text, json)
	sink   *atomic.Pointer[rosSink]
	attrs  string // rendered WithAttrs, for the ROS lines
	group  string
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newNodeLog(w io.Writer, format string, level slog.Leveler, name string) *nodeLog {
	h := &nodeLog{format: format, level: level, name: name, out: &lockedWriter{w: w}, sink: &atomic.Pointer[rosSink]{}}
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case logFormatText:
		h.inner = slog.NewTextHandler(h.out, opts)
	case logFormatJSON:
		h.inner = slog.NewJSONHandler(h.out, opts)
	}
	return h
}

// setSink starts sending every line to /rosout; nil stops it.
func (h *nodeLog) setSink(s rosSink) {
	if s == nil {
		h.sink.Store(nil)
		return
	}
	h.sink.Store(&s)
}

func (h *nodeLog) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *nodeLog) Handle(ctx context.Context, r slog.Record) error {
	line := h.render(r)
	sink := h.sink.Load()
	if sink != nil {
		(*sink)(r.Level, line, h.inner == nil)
	}
	switch {
	case h.inner != nil:
		return h.inner.Handle(ctx, r)
	case sink == nil:
		_, err := fmt.Fprintf(h.out, "[%s] [%.9f] [%s]: %s\n", levelName(r.Level), float64(r.Time.UnixNano())/1e9, h.name, line)
		return err
	}
	return nil
}

// render is the message and its attributes as key=value, quoted like
// slog's text handler quotes them.
func (h *nodeLog) render(r slog.Record) string {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.group, a)
		return true
	})
	return b.String()
}

func appendAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			appendAttr(b, key, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(key)
	b.WriteByte('=')
	v := a.Value.String()
	if a.Value.Kind() == slog.KindTime {
		v = a.Value.Time().Format(time.RFC3339Nano)
	}
	if v == "" || strings.ContainsAny(v, " \t\n\"=") || !strconv.CanBackquote(v) {
		v = strconv.Quote(v)
	}
	b.WriteString(v)
}

func (h *nodeLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	c.attrs = b.String()
	if h.inner != nil {
		c.inner = h.inner.WithAttrs(as)
	}
	return &c
}

func (h *nodeLog) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = name
	if h.group != "" {
		c.group = h.group + "." + name
	}
	if h.inner != nil {
		c.inner = h.inner.WithGroup(name)
	}
	return &c
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= slog.LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}
