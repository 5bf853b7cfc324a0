package secret

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

func TestSecretNeverPrints(t *testing.T) {
	s := New("rk_live_topsecret")
	holder := struct {
		s Secret
		S Secret
	}{s, s}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "key", s, "holder", holder)
	js, err := json.Marshal(holder)
	require.NoError(t, err)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s),
		fmt.Sprintf("%v %+v", holder, holder), s.String(), s.GoString(), logged.String(), string(js)} {
		assert.NotContains(t, out, "topsecret")
	}
	assert.Equal(t, "rk_live_topsecret", s.Reveal())
	assert.True(t, Secret{}.IsZero())
	assert.Equal(t, "", Secret{}.Reveal())
	var u Secret
	assert.Error(t, u.UnmarshalText([]byte("x")))
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env")
	require.NoError(t, os.WriteFile(envFile, []byte("KEY=fromenvfile\n"), 0o600))
	keyFile := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(keyFile, []byte("  fromkeyfile\n"), 0o600))
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	badEnv := filepath.Join(dir, "bad.env")
	require.NoError(t, os.WriteFile(badEnv, []byte("KEY='unterminated\n"), 0o600))
	for _, tc := range []struct {
		name        string
		src         Source
		env         map[string]string
		want, where string
		err         string
	}{
		{"environment first", Source{Env: "KEY", EnvFile: envFile, File: keyFile}, map[string]string{"KEY": " fromenv "}, "fromenv", "environment variable KEY", ""},
		{"env file next", Source{Env: "KEY", EnvFile: envFile, File: keyFile}, nil, "fromenvfile", "env file " + envFile, ""},
		{"missing env file is fine", Source{Env: "KEY", EnvFile: filepath.Join(dir, "none"), File: keyFile}, nil, "fromkeyfile", "key file " + keyFile, ""},
		{"key file", Source{File: keyFile}, nil, "fromkeyfile", "key file " + keyFile, ""},
		{"empty key file", Source{File: empty}, nil, "", "", "is empty"},
		{"unreadable key file", Source{File: filepath.Join(dir, "absent")}, nil, "", "", "key file"},
		{"broken env file", Source{Env: "KEY", EnvFile: badEnv}, nil, "", "", "env file " + badEnv},
		{"nothing", Source{Env: "KEY"}, nil, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, where, err := tc.src.Lookup(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, tc.where, where)
		})
	}
}
