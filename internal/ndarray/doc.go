// Package ndarray owns the msgpack-numpy wire form that RoboActions
// policies speak (the reference SDK's serialize.py): arrays travel as
// msgpack maps with binary keys — __ndarray__ (data, dtype, shape),
// __torch_tensor__ (the same plus device and requires_grad) and
// __npgeneric__ (one numpy scalar) — inside otherwise plain msgpack.
//
// It decodes what a policy may answer into Go values (Array, maps with
// string keys, slices, scalars) and encodes observations the way the SDK
// does, so that a server written for the SDK cannot tell the difference.
// The markers are recognised only as binary keys: a Python client would
// not treat a string "__ndarray__" key as an array either.
package ndarray
