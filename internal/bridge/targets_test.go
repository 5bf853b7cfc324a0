package bridge

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeviceTargets: absolute targets end the trajectory at the targets,
// whatever the arm measured when the cycle started; the gripper goes to
// its target from its measured position; a channel without a measured
// start commands nothing.
func TestDeviceTargets(t *testing.T) {
	b, _, fr, done := started(t, commandsConfig(t))
	b.OnJointState(armAndGripper(0.02)) // a 0.1, b 0.2
	b.OnDeviceTargets(1, []map[string]float64{{"joint:0": 0.15, "joint:1": 0.2, "gripper": 0.01}, {"joint:0": 0.3}})
	r := <-done
	require.True(t, r.Published)
	last := fr.published()[0].Points[len(fr.published()[0].Points)-1]
	assert.InDeltaSlice(t, []float64{0.3, 0.2}, last.Positions, 1e-9)
	require.Len(t, fr.gripper(), 1)
	assert.InDelta(t, 0.01, fr.gripper()[0], 1e-12)

	b.OnJointState(armAndGripper(0.01))
	b.OnJointState(JointSample{Names: []string{"a", "b", "grip"}, Positions: []float64{0.25, 0.2, 0.01}})
	b.OnDeviceTargets(2, []map[string]float64{{"joint:0": 0.3}})
	<-done
	last = fr.published()[1].Points[len(fr.published()[1].Points)-1]
	assert.InDeltaSlice(t, []float64{0.3, 0.2}, last.Positions, 1e-9, "from the new measurement, to the same target")
}

func TestDeviceTargetsWithoutAGripperMeasurement(t *testing.T) {
	b, _, fr, done := started(t, commandsConfig(t))
	b.OnJointState(JointSample{Names: []string{"a", "b"}, Positions: []float64{0.1, 0.2}})
	b.OnDeviceTargets(1, []map[string]float64{{"joint:0": 0.2, "gripper": 0.03, "joint:9": 1}})
	r := <-done
	require.True(t, r.Published)
	assert.Empty(t, fr.gripper(), "no measured gripper: no guessed command")
	last := fr.published()[0].Points[len(fr.published()[0].Points)-1]
	assert.InDeltaSlice(t, []float64{0.2, 0.2}, last.Positions, 1e-9)
}

func TestSensedGripper(t *testing.T) {
	b, _, _, _ := started(t, commandsConfig(t))
	_, ok := b.SensedGripper()
	assert.False(t, ok, "never measured")
	b.OnJointState(armAndGripper(0.02))
	pos, ok := b.SensedGripper()
	assert.True(t, ok)
	assert.Equal(t, 0.02, pos)

	plain, _, _, _ := started(t, demoConfig(t))
	_, ok = plain.SensedGripper()
	assert.False(t, ok, "no gripper section")
}
