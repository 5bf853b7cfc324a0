// Package secret owns where the node's credentials come from and how they
// stay out of sight: an environment variable, the same name in a .env
// file, or a file holding only the key — never argv — and a Secret type
// that prints redacted through every fmt verb, slog and JSON. Each
// backend (the 0.1 brain's API key, a Prima-Lux developer key, a
// RoboActions key) checks the text's own form on top.
package secret
