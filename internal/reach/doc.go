// Package reach owns the reaching task that shows a brain learns: a
// kinematic model of the demo's 2-joint arm, driven through the bridge core
// and a realtime session against a run of the brain, scored by a reward
// policy whose target is picked per task at run time (a policy topic the
// task publishes), never known to the brain.
//
// One task is one run: the brain is started with the lockStep, learning
// and seed start options of the local brain, so that a task of 2,000
// cycles takes seconds and repeats exactly for a seed. The arm executes
// each trajectory when the next arrives, one cycle later, as a real arm
// does that follows a trajectory until the next cycle's update replaces
// it: the reward the bridge computes at cycle k scores the motion that
// cycle k−1 commanded, as it does on the real graph. The arm's state is the
// trajectory sampled at the cycle's duration (positions and velocities);
// no trajectory, no motion. The overhead camera the contract asks for sees
// one fixed frame: the model has no renderer.
//
// Curve runs several tasks (seeds, learning on and off) concurrently and
// Summary, Table and Plot (plot.go) report them: mean reward over the
// first and last fifth of the cycles, and the final distance to the target.
package reach
