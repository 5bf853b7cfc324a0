package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiagnosticsPeriod(t *testing.T) {
	base := "joints:\n  - name: a\n"
	cfg, err := Parse("d.yaml", []byte(base))
	require.NoError(t, err)
	assert.Equal(t, time.Second, cfg.Diagnostics.Period, "default")

	cfg, err = Parse("d.yaml", []byte(base+"diagnostics:\n  period: 2s\n"))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, cfg.Diagnostics.Period)

	_, err = Parse("d.yaml", []byte(base+"diagnostics:\n  period: 10ms\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "d.yaml:4: diagnostics.period 10ms must be at least 100ms")

	_, err = Parse("d.yaml", []byte(base+"diagnostics:\n  rate: 1\n"))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "rate"), err.Error())
}
