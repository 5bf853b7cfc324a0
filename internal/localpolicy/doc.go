// Package localpolicy owns a RoboActions-compatible policy server for the
// tests and the demo: the HTTP + msgpack API that RoboActions' SDK 0.1.2
// (RemotePolicy) talks to, served on loopback with a small deterministic
// policy behind it, so the bridge's RoboActions backend and its tests run
// without the hosted service.
//
// What it serves (every /v1 route needs Authorization: Bearer <the key>,
// else 401, and x-policy-id naming the configured policy, else 400 when
// missing or 404; errors are JSON {"detail": ...}, what the SDK reads):
//   - GET /v1/healthz: {"status": DEPLOYING for Config.DeployTime after
//     New, then HEALTHY; the status knob sets any PolicyStatus}.
//   - GET /v1/policy/input_features, /output_features: the configured
//     LeRobot-style feature maps ({key: {type, shape}}), inputs optionally
//     wrapped as {"input_features": ...}.
//   - POST /v1/policy/predict_action_chunk and /select_action: a msgpack
//     map (Content-Type and Accept application/msgpack, else 415 / 406; at
//     most Config.MaxBody bytes, else 413) whose keys are exactly the input
//     features, each a msgpack-numpy float array (internal/ndarray) of
//     exactly its shape, images in [0, 1], plus "task", a string. Anything
//     else is 422 with every wrong key and what was wanted ("message", and
//     FastAPI's "detail" list). Inference while not HEALTHY is 503. The
//     answer: float32 (1, chunk, action dim) and (1, action dim), batch
//     first as LeRobot's policies answer, as __ndarray__ maps or, with
//     Config.TensorAnswers, __torch_tensor__ maps.
//   - GET /v1/policy/reset: {"reset": true}; the queue of select_action and
//     the episode counts are forgotten. {"reset": false, "error"} while not
//     HEALTHY, as the SDK documents.
//   - GET /v1/policy/list: this policy; create and delete are 501.
//
// The policy: a reach. From observation.state, each action covers Gain of
// the remaining distance to Config.Target, at most MaxSpeed/Rate per step
// and dimension, so a robot that plays its chunks at the policy's rate
// moves there at a bounded speed and stays. Actions are absolute states.
// select_action plays ActionSteps actions of one chunk before it looks at
// a new observation (LeRobot's n_action_steps queue).
//
// Fault knobs (Server methods; over HTTP under /standin/ with
// Config.Faults, same key): FailNext (N answers with a chosen 4xx/5xx and
// an optional Retry-After), DelayNext, DropNext (connections closed
// without an answer), SetStatus (DEPLOYING again, STOPPED, ...); Stats
// (GET /standin/stats): requests per endpoint, observations, refusals by
// kind, the most requests in flight at once, the last observation.
//
// What it does not model: policy creation and deletion, several policies,
// real models, GPUs, RemoteEnv (the WebSocket gym), HTTPS.
package localpolicy
