package secret

import (
	"errors"
	"fmt"
	"log/slog"
)

const redacted = "[redacted]"

// Secret is a credential. It never prints: every fmt verb, slog and JSON
// show it redacted. The text sits behind a pointer so that even a struct
// holding a Secret in an unexported field, printed with %v, shows an
// address rather than the text (fmt cannot call methods on unexported
// fields).
type Secret struct{ text *string }

// New wraps s.
func New(s string) Secret { return Secret{text: &s} }

// IsZero says no secret was given.
func (s Secret) IsZero() bool { return s.text == nil }

// Reveal is the text, for the one place that sends it (an Authorization
// header); "" when zero.
func (s Secret) Reveal() string {
	if s.text == nil {
		return ""
	}
	return *s.text
}

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(redacted)) }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// UnmarshalText refuses: a secret is never read from configuration text.
func (s *Secret) UnmarshalText(_ []byte) error {
	return errors.New("a key is never read from configuration text")
}
