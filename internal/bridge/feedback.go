package bridge

import (
	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/sensor"
)

// feedbackChunk carries the deviation the policy computed for this input's
// feedback id at the last cycle (zeros, the neutral deviation, before the
// first cycle or for an id the policy does not know), as deviation_f32 or,
// when the input's format says so, as a raster_f32 population code
// (sensor.AppendRaster). The data buffer is the input's own, reused from
// need to need: SendChunk is done with it when it returns.
func (b *Bridge) feedbackChunk(c inputConf) brain.Chunk {
	l := b.learning
	k := b.conf.Contract.Constants
	dev, computed := l.devs[c.id]
	var (
		data   []byte
		meta   map[string]any
		issues sensor.FeedbackIssues
		err    error
	)
	format := sensor.FormatDeviation
	if c.format == sensor.FormatRaster {
		format = sensor.FormatRaster
		n := l.rasterN(c.id, k)
		data, issues, err = sensor.AppendRaster(l.data[c.id][:0], dev, k.Gamma, n)
		meta = map[string]any{"T": k.Gamma, "N": n}
	} else {
		data, issues, err = sensor.AppendDeviation(l.data[c.id][:0], dev, k.Gamma)
		meta = map[string]any{"T": k.Gamma}
	}
	if err != nil {
		// Unreachable with a contract New accepted (gamma >= 1, rasters of
		// at least 2 neurons); counted and logged should that change.
		l.stats.feedbackRepaired.Add(1)
		b.warnf("feedback:"+c.id, "feedback chunk not encoded", "input", c.id, "err", err)
	}
	if computed && issues.Any() {
		l.stats.feedbackRepaired.Add(1)
		b.warnf("feedback_repaired:"+c.id, "deviation repaired before sending", "input", c.id,
			"clamped", issues.Clamped, "nan", issues.NaN, "padded", issues.Padded, "cut", issues.Cut)
	}
	l.data[c.id] = data
	return brain.Chunk{Format: format, Meta: meta, Data: data}
}
