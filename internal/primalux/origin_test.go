package primalux

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckOrigin(t *testing.T) {
	for _, tc := range []struct {
		url, want, err string
	}{
		{url: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{url: "http://10.42.0.2:8080/", want: "http://10.42.0.2:8080"},
		{url: "http://172.16.5.4", want: "http://172.16.5.4"},
		{url: "http://192.168.1.20:80", want: "http://192.168.1.20:80"},
		{url: "http://169.254.3.7:8080", want: "http://169.254.3.7:8080"},
		{url: "http://[::1]:8080", want: "http://[::1]:8080"},
		{url: "http://[fd12:3456::1]:8080", want: "http://[fd12:3456::1]:8080"},
		{url: "http://[::ffff:192.168.0.9]", want: "http://[::ffff:192.168.0.9]"},
		{url: "http://localhost:8080", want: "http://localhost:8080"},
		{url: "http://prima-lux.local:8080", want: "http://prima-lux.local:8080"},
		{url: "http://PRIMA.LOCAL", want: "http://PRIMA.LOCAL"},
		{url: "https://device.example.com", want: "https://device.example.com"},
		{url: "https://8.8.8.8:443", want: "https://8.8.8.8:443"},
		{url: "http://8.8.8.8", err: "plain http only"},
		{url: "http://172.32.0.1", err: "plain http only"},
		{url: "http://100.64.0.1", err: "plain http only"},
		{url: "http://192.0.2.1", err: "plain http only"},
		{url: "http://[2001:db8::1]", err: "plain http only"},
		{url: "http://device.example.com", err: "plain http only"},
		{url: "http://device.local.example.com", err: "plain http only"},
		{url: "http://localhost.evil.com", err: "plain http only"},
		{url: "ftp://127.0.0.1", err: "http(s) URL"},
		{url: "127.0.0.1:8080", err: "http(s) URL"},
		{url: "http://user:pw@127.0.0.1", err: "without credentials"},
		{url: "http://127.0.0.1/api/status", err: "origin"},
		{url: "http://127.0.0.1/?x=1", err: "origin"},
		{url: "http://127.0.0.1/#frag", err: "origin"},
		{url: "http://", err: "http(s) URL"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			u, err := CheckOrigin(tc.url)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				assert.NotContains(t, err.Error(), "pw@", "credentials are not echoed")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.String())
		})
	}
}

func TestNewRefusesBeforeSending(t *testing.T) {
	k, err := NewKey(testSecret)
	require.NoError(t, err)
	_, err = New(Options{URL: "http://203.0.113.5:8080", Key: k})
	require.ErrorContains(t, err, "plain http only")
	_, err = New(Options{URL: "http://127.0.0.1:1"})
	require.ErrorIs(t, err, errNoKey)
	_, err = New(Options{URL: "http://127.0.0.1:1", Key: k, Timeout: -1})
	require.ErrorContains(t, err, "positive")
}
