package policy

// rewardComponent gives one reward value for the cycle. An error or a
// non-finite value makes the policy use NeutralReward in its place.
type rewardComponent interface {
	reward(cs *cycleState) (float64, error)
}

// deviationComponent fills out (T values) for the cycle. An error or any
// non-finite value makes the policy send zeros instead.
type deviationComponent interface {
	deviation(cs *cycleState, out []float64) error
}

// constant is a fixed reward.
type constant struct{ value float64 }

func (c constant) reward(*cycleState) (float64, error) { return c.value, nil }

// zero is the neutral deviation.
type zero struct{}

func (zero) deviation(_ *cycleState, out []float64) error {
	clear(out)
	return nil
}

// rewardExpression is a reward computed by an expression over signals.
type rewardExpression struct{ e *expression }

func (r rewardExpression) reward(cs *cycleState) (float64, error) {
	if err := r.e.prepare(cs, 0); err != nil {
		return 0, err
	}
	return r.e.run()
}

// deviationExpression evaluates its expression once per timestep t of T.
type deviationExpression struct{ e *expression }

func (d deviationExpression) deviation(cs *cycleState, out []float64) error {
	if err := d.e.prepare(cs, len(out)); err != nil {
		return err
	}
	for t := range out {
		d.e.atStep(t, len(out))
		v, err := d.e.run()
		if err != nil {
			return err
		}
		out[t] = v
	}
	return nil
}
