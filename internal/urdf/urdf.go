// Package urdf reads the joint limits of a robot description (URDF, the
// XML robot_state_publisher publishes on robot_description) and merges
// them with the configured ones. Pure Go: the node parses the string it
// receives, and tests need no ROS.
package urdf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Joint is one joint's limits as the URDF states them; an absent bound is
// nil. URDF has no acceleration limit.
type Joint struct {
	Name string
	Type string // revolute, continuous, prismatic, fixed, floating, planar
	// Lower and Upper are the position limits of a revolute or prismatic
	// joint (a continuous one has none, whatever its <limit> says).
	Lower, Upper *float64
	// Velocity is <limit velocity>, when positive: the URDF spec requires
	// it, yet descriptions written for visualisation often put 0, which
	// bounds nothing rather than freezing the joint.
	Velocity *float64
}

type xmlRobot struct {
	XMLName xml.Name   `xml:"robot"`
	Joints  []xmlJoint `xml:"joint"`
}

type xmlJoint struct {
	Name  string    `xml:"name,attr"`
	Type  string    `xml:"type,attr"`
	Limit *xmlLimit `xml:"limit"`
}

// The attributes stay strings: a number the URDF gets wrong must be
// reported with the joint's name, not as a bare decode error.
type xmlLimit struct {
	Lower    *string `xml:"lower,attr"`
	Upper    *string `xml:"upper,attr"`
	Velocity *string `xml:"velocity,attr"`
}

// Parse reads every joint of a URDF document, keyed by name. A document
// that is not XML, not a <robot>, or still holds xacro (an unexpanded
// ${…} or an xacro: element) is an error: its numbers cannot be trusted.
// A joint whose limits are unusable (not a number, lower ≥ upper) is an
// error too, naming the joint: the caller decides what it costs.
func Parse(doc []byte) (map[string]Joint, error) {
	if bytes.Contains(doc, []byte("${")) || bytes.Contains(doc, []byte("$(")) {
		return nil, errors.New("urdf: unexpanded xacro (${…} or $(…)): publish the description xacro produced")
	}
	var r xmlRobot
	dec := xml.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("urdf: %w", err)
	}
	if xacro, ok := findXacro(doc); ok {
		return nil, fmt.Errorf("urdf: unexpanded xacro element <%s>: publish the description xacro produced", xacro)
	}
	out := make(map[string]Joint, len(r.Joints))
	var errs []error
	for _, xj := range r.Joints {
		j, err := xj.joint()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[j.Name] = j
	}
	return out, errors.Join(errs...)
}

// findXacro reports the first element in the xacro namespace (or spelled
// with the xacro: prefix when the namespace is undeclared).
func findXacro(doc []byte) (string, bool) {
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if se, ok := tok.(xml.StartElement); ok {
			if strings.Contains(se.Name.Space, "xacro") {
				return "xacro:" + se.Name.Local, true
			}
		}
	}
}

func (xj xmlJoint) joint() (Joint, error) {
	j := Joint{Name: xj.Name, Type: xj.Type}
	if j.Name == "" {
		return j, errors.New("urdf: a joint has no name")
	}
	if xj.Limit == nil {
		return j, nil
	}
	num := func(key string, s *string) (*float64, error) {
		if s == nil {
			return nil, nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(*s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("urdf: joint %q: <limit %s=%q> is not a finite number", j.Name, key, *s)
		}
		return &v, nil
	}
	var err error
	if j.Velocity, err = num("velocity", xj.Limit.Velocity); err != nil {
		return j, err
	}
	if j.Velocity != nil && *j.Velocity <= 0 {
		j.Velocity = nil
	}
	if j.Type != "revolute" && j.Type != "prismatic" {
		return j, nil // continuous: no position limits (the spec ignores lower/upper)
	}
	if j.Lower, err = num("lower", xj.Limit.Lower); err != nil {
		return j, err
	}
	if j.Upper, err = num("upper", xj.Limit.Upper); err != nil {
		return j, err
	}
	// The URDF spec defaults lower and upper to 0: one given alone, or
	// neither, would pin the joint. Both or neither are taken; neither
	// bounds nothing (a description written for visualisation only).
	if (j.Lower == nil) != (j.Upper == nil) {
		return j, fmt.Errorf("urdf: joint %q: <limit> has only one of lower and upper", j.Name)
	}
	if j.Lower != nil && *j.Lower >= *j.Upper {
		return j, fmt.Errorf("urdf: joint %q: lower %g is not below upper %g", j.Name, *j.Lower, *j.Upper)
	}
	return j, nil
}
