package integration

import "github.com/abbridge/ab_bridge/internal/bridge"

func (discardCommands) PublishGripper(float64) error    { return nil }
func (discardCommands) PublishTwist(bridge.Twist) error { return nil }
