// Package sensor owns the robot's samples as the brain receives them: plain
// Go types with the semantics of the ROS messages they come from (no ROS
// types here; internal/ros converts) and the encoders that turn them into
// the data of io:chunk messages (PROTOCOL.md §3):
//
//   - Image and CompressedImage → "jpeg" (ImageEncoder: libjpeg-turbo
//     through cgo, one handle and one set of buffers per camera input,
//     the worst-case output buffer mapped outside the Go heap, area
//     downscaling, depth and 16-bit images mapped to gray, halving
//     until the chunk fits the message cap);
//   - audio samples → "pcm16" (PCMBuffer, filled by the ROS callback,
//     emptied by the bridge at each io:need);
//   - deviations → "deviation_f32" or "raster_f32" (AppendDeviation,
//     AppendRaster, with a documented population code);
//   - joint ticks → "rawtick_f32x3" (RawTick).
//
// Encoders never panic on bad samples: they return errors wrapping
// ErrUnsupportedEncoding, ErrBadImage, ErrTooLarge or ErrPartialFrame, and
// count what they refused or repaired.
//
// Building needs the TurboJPEG headers and library (Debian:
// libturbojpeg0-dev, installed by scripts/setup).
package sensor
