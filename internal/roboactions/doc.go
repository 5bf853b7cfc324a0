// Package roboactions owns the RoboActions remote-policy protocol as the
// reference SDK (roboactions 0.1.2) speaks it: the headers every request
// carries (Bearer key, User-Agent, x-policy-id), the JSON endpoints
// (/v1/healthz, /v1/policy/input_features, /output_features, /reset), the
// msgpack inference endpoints (predict_action_chunk, select_action, bodies
// in internal/ndarray's form), and what an answer's status means.
//
// Where the SDK is loose the client is stricter, and says so: it honours
// Retry-After (the SDK sleeps its own backoff), bounds every retry and
// every answer's size, lets only one request be in flight (a policy server
// runs one inference at a time; a second would queue behind it and arrive
// stale), and turns 401/403/404 into errors the caller treats as fatal.
// It knows nothing of ROS or joints: internal/policybridge maps
// observations and actions.
package roboactions
