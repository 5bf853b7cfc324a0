package bridge

import "github.com/abbridge/ab_bridge/internal/brain"

// feedbackChunk is all zeros until a deviation policy exists: the protocol's
// neutral deviation.
func (b *Bridge) feedbackChunk(c inputConf) brain.Chunk {
	k := b.conf.Contract.Constants
	if c.format == "raster_f32" {
		return brain.Chunk{Format: c.format, Meta: map[string]any{"T": k.Gamma, "N": k.FeedbackN}, Data: make([]byte, 4*k.Gamma*k.FeedbackN)}
	}
	return brain.Chunk{Format: "deviation_f32", Meta: map[string]any{"T": k.Gamma}, Data: make([]byte, 4*k.Gamma)}
}
