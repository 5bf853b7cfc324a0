package primalux

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "plx_s3cretValue42"

func TestNewKey(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{in: testSecret},
		{in: "  " + testSecret + "\n"},
		{in: "", err: "empty"},
		{in: "sk_live_1", err: "begins plx_"},
		{in: "plx_", err: "begins plx_"},
		{in: "plx_a\nb", err: "one line"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			k, err := NewKey(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.True(t, k.IsZero())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "Bearer "+testSecret, k.bearer())
		})
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k, err := NewKey(testSecret)
	require.NoError(t, err)
	type holder struct {
		Public  Key
		private Key
		ptr     *Key
	}
	h := holder{Public: k, private: k, ptr: &k}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		outputs = append(outputs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h), fmt.Sprintf(verb, []Key{k}))
	}
	outputs = append(outputs, fmt.Sprint(k, h), fmt.Sprintln(map[string]Key{"k": k}))
	for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(newHandler(&buf)).Info("connect", "key", k, "holder", h, slog.Any("any", k))
		outputs = append(outputs, buf.String())
	}
	j, err := json.Marshal(h)
	require.NoError(t, err)
	outputs = append(outputs, string(j))
	for _, out := range outputs {
		assert.NotContains(t, out, "s3cret", out)
		assert.NotContains(t, out, fmt.Sprintf("%x", testSecret), out)
	}
	assert.Contains(t, fmt.Sprint(k), "[redacted]")
	text, err := k.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, []string{"[redacted]", "[redacted]", "[redacted]"}, []string{k.String(), k.GoString(), string(text)})
	var back Key
	assert.Error(t, json.Unmarshal([]byte(`"`+testSecret+`"`), &back), "a key is never read from configuration text")
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env")
	require.NoError(t, os.WriteFile(envFile, []byte("# device\nAB_DEVICE_API_KEY=\"plx_fromenvfile\"\n"), 0o600))
	keyFile := filepath.Join(dir, "device.key")
	require.NoError(t, os.WriteFile(keyFile, []byte("plx_fromkeyfile\n"), 0o600))
	badFile := filepath.Join(dir, "bad.key")
	require.NoError(t, os.WriteFile(badFile, []byte("not-a-key\n"), 0o600))
	for _, tc := range []struct {
		name   string
		src    KeySource
		env    map[string]string
		want   string
		source string
		err    string
	}{
		{name: "environment first", src: KeySource{EnvFile: envFile, File: keyFile},
			env: map[string]string{KeyEnv: "plx_fromenv"}, want: "plx_fromenv", source: "environment variable AB_DEVICE_API_KEY"},
		{name: "env file next", src: KeySource{EnvFile: envFile, File: keyFile}, want: "plx_fromenvfile", source: "env file " + envFile},
		{name: "missing env file is fine", src: KeySource{EnvFile: filepath.Join(dir, "none"), File: keyFile}, want: "plx_fromkeyfile", source: "key file " + keyFile},
		{name: "named variable", src: KeySource{Env: "ROBOT_KEY"}, env: map[string]string{"ROBOT_KEY": "plx_named"}, want: "plx_named", source: "environment variable ROBOT_KEY"},
		{name: "bad key names its source, not the key", src: KeySource{File: badFile}, err: "key file " + badFile},
		{name: "unreadable key file", src: KeySource{File: filepath.Join(dir, "absent")}, err: "key file"},
		{name: "nothing", src: KeySource{}, err: "no Prima-Lux developer key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, source, err := tc.src.LoadKey(func(n string) string { return tc.env[n] })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.NotContains(t, err.Error(), "not-a-key")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "Bearer "+tc.want, k.bearer())
			assert.Equal(t, tc.source, source)
		})
	}
}
