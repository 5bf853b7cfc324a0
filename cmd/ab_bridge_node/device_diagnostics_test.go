package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/abbridge/ab_bridge/internal/devicebridge"
	"github.com/abbridge/ab_bridge/internal/primalux"
)

// TestDeviceSampleCarriesEveryCounter: every field of the monitor's Device
// comes from the device side's Stats (a counter added to one and not
// wired stays zero here).
func TestDeviceSampleCarriesEveryCounter(t *testing.T) {
	var ds devicebridge.Stats
	v := reflect.ValueOf(&ds).Elem()
	n := int64(1)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Int64 {
			f.SetInt(n)
			n++
		}
	}
	ds.Stream = primalux.StreamStats{Connects: 90, Duplicates: 91, Missed: 92}
	ds.Link = devicebridge.Link{Up: true, Connected: true, Reason: "dropped", Since: time.Unix(1, 0)}
	ds.LastHold, ds.SensesHeld, ds.LastAccepted = "gap", true, time.Unix(2, 0)

	got := reflect.ValueOf(deviceSample(ds))
	for i := range got.NumField() {
		assert.False(t, got.Field(i).IsZero(), "diagnostics.Device.%s is not filled", got.Type().Field(i).Name)
	}
	d := deviceSample(ds)
	assert.Equal(t, ds.Posted, d.SensorFrames)
	assert.Equal(t, ds.PostFailures, d.SensorFailures)
	assert.Equal(t, ds.Frames, d.OutputFrames)
	assert.Equal(t, ds.SenseHolds, d.SenseHolds)
	assert.Equal(t, int64(90), d.Connects)
}
