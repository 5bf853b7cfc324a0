package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mapping is read as the SDK reads it: what the SDK ignores loads with
// a warning at file:line, what it drops is left out, and the checks of the
// configuration still point at the right lines after a drop.
func TestMappingAsTheSDKReadsIt(t *testing.T) {
	head := "joints:\n  - name: a\n  - name: b\nmapping:\n"
	tests := []struct {
		name     string
		mapping  string
		channels []string
		warnings []string
		err      string
	}{
		{
			name:     "threshold on addition",
			mapping:  "  - node_id: m\n    channel: joint:0\n    scheme: addition\n    threshold: 3\n",
			channels: []string{"joint:0"},
			warnings: []string{"c.yaml:8: threshold is ignored: scheme addition does not use it (booleanThreshold only)"},
		},
		{
			name:     "threshold on bipolarScalar, an unknown key and a dropped entry",
			mapping:  "  - channel: joint:1\n  - nodeId: n\n    controllerChannel: joint:1\n    scheme: bipolarScalar\n    threshold: 1\n    gian: 2\n",
			channels: []string{"joint:1"},
			warnings: []string{
				"c.yaml:5: mapping entry has no node_id: the SDK drops it",
				"c.yaml:9: threshold is ignored: scheme bipolarScalar does not use it (booleanThreshold only)",
				`c.yaml:10: unknown mapping key "gian" is ignored`,
			},
		},
		{
			name:    "a bad joint after a dropped entry is found at its line",
			mapping: "  - node_id: ''\n    channel: joint:0\n  - node_id: n\n    channel: joint:7\n",
			err:     `c.yaml:8: mapping channel "joint:7" names no configured joint (0..1)`,
		},
		{
			name:    "an unknown scheme is refused",
			mapping: "  - node_id: n\n    channel: joint:0\n    scheme: bipolarsplit\n",
			err:     `c.yaml:7: unknown scheme "bipolarsplit"`,
		},
		{
			name:    "what the SDK cannot read is refused",
			mapping: "  - node_id: n\n    channel: joint:0\n    gain: fast\n",
			err:     `c.yaml:7: gain: the string "fast" is not a number`,
		},
		{name: "no mapping", mapping: "", channels: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(head+tt.mapping))
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			var channels, warnings []string
			for _, m := range cfg.Mapping {
				channels = append(channels, m.Channel)
			}
			for _, w := range cfg.Warnings {
				warnings = append(warnings, w.Error())
			}
			assert.Equal(t, tt.channels, channels)
			assert.Equal(t, tt.warnings, warnings)
		})
	}
}
