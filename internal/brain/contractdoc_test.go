package brain

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/abbridge/ab_bridge/internal/contract"
)

func TestContractDocKeepsTheDocumentAsServed(t *testing.T) {
	// 48.0 and "48" must survive as the server wrote them: the digest of
	// the stable view depends on it.
	const answer = `{"ok":true,"constants":{"gamma":"48","feedbackN":64.0},` +
		`"io":{"inputs":[{"id":"cam","kind":"Image"}],"stdp3":{"layers":["L1"]}},"extra":1}`
	api := startFakeAPI(t, http.StatusOK, answer)
	c := newTestClient(t, api.srv.URL, "k-1")

	doc, err := c.ContractDoc(context.Background(), "p1")
	require.NoError(t, err)
	got := api.last(t)
	assert.Equal(t, http.MethodGet, got.method)
	assert.Equal(t, "/api/robot/p1/contract", got.path)
	assert.Equal(t, []string{"k-1"}, got.header.Values("x-api-key"))

	consts := doc["constants"].(map[string]any)
	assert.Equal(t, "48", consts["gamma"])
	assert.Equal(t, json.Number("64.0"), consts["feedbackN"])
	assert.Equal(t, json.Number("1"), doc["extra"])

	want, err := contract.DigestJSON([]byte(answer))
	require.NoError(t, err)
	digest, err := contract.Digest(doc)
	require.NoError(t, err)
	assert.Equal(t, want, digest)

	ct, err := contract.FromMap(doc)
	require.NoError(t, err)
	assert.Equal(t, 48, ct.Constants.Gamma)
	assert.Equal(t, []string{"L1"}, ct.IO.STDP3)
}

func TestContractDocErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		answer string
		want   string
	}{
		{"not found", http.StatusNotFound, `{"error":"no such project"}`, "404"},
		{"unauthorised", http.StatusUnauthorized, `{"message":"bad key"}`, "bad key"},
		{"not an object", http.StatusOK, `[1,2]`, "want an object"},
		{"not JSON", http.StatusOK, `<html>`, `contract of project "p1"`},
		{"NaN literal", http.StatusOK, `{"constants":{"gamma":NaN}}`, `contract of project "p1"`},
		{"trailing data", http.StatusOK, `{} {}`, "data after the document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := startFakeAPI(t, tc.status, tc.answer)
			c := newTestClient(t, api.srv.URL, "")
			doc, err := c.ContractDoc(context.Background(), "p1")
			require.Error(t, err)
			assert.Nil(t, doc)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := newTestClient(t, "http://127.0.0.1:1", "").ContractDoc(context.Background(), "a/b")
	assert.ErrorContains(t, err, "not a single path segment")
}
