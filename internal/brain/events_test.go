package brain

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	return v
}

func TestParseNeed(t *testing.T) {
	at := time.Unix(1700000000, 0)
	tests := []struct {
		name string
		doc  string
		want Need
		err  string
	}{
		{"full", `{"runId":"r","cycle":12,"deadlineMs":50,"needs":[{"id":"cam","kind":"Image"},{"id":"j0","kind":"Proprioception","lo":-1}]}`,
			Need{RunID: "r", Cycle: 12, DeadlineMs: 50, At: at, Needs: []NeedItem{{ID: "cam", Kind: "Image"}, {ID: "j0", Kind: "Proprioception", Extra: map[string]any{"lo": float64(-1)}}}}, ""},
		{"minimal", `{"cycle":0,"needs":[]}`, Need{At: at, Needs: []NeedItem{}}, ""},
		{"kind missing", `{"cycle":1,"needs":[{"id":"x"}]}`, Need{Cycle: 1, At: at, Needs: []NeedItem{{ID: "x"}}}, ""},
		{"null deadline", `{"cycle":1,"needs":[],"deadlineMs":null}`, Need{Cycle: 1, At: at, Needs: []NeedItem{}}, ""},
		{"not object", `[1]`, Need{}, "want an object"},
		{"no cycle", `{"needs":[]}`, Need{}, "cycle is missing"},
		{"null cycle", `{"cycle":null,"needs":[]}`, Need{}, "cycle is missing"},
		{"string cycle", `{"cycle":"1","needs":[]}`, Need{}, "want a number"},
		{"fractional cycle", `{"cycle":1.5,"needs":[]}`, Need{}, "whole"},
		{"huge cycle", `{"cycle":1e300,"needs":[]}`, Need{}, "whole"},
		{"negative deadline", `{"cycle":1,"needs":[],"deadlineMs":-5}`, Need{}, "deadlineMs"},
		{"needs missing", `{"cycle":1}`, Need{}, "want a list"},
		{"needs object", `{"cycle":1,"needs":{}}`, Need{}, "want a list"},
		{"item string", `{"cycle":1,"needs":["cam"]}`, Need{}, "needs[0]"},
		{"item empty id", `{"cycle":1,"needs":[{"id":""}]}`, Need{}, "needs[0] has no string id"},
		{"second item bad", `{"cycle":1,"needs":[{"id":"a"},{"kind":"Image"}]}`, Need{}, "needs[1]"},
		{"kind number", `{"cycle":1,"needs":[{"id":"a","kind":3}]}`, Need{}, "kind is a number"},
		{"run number", `{"cycle":1,"needs":[],"runId":7}`, Need{}, "runId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseNeed(decodeJSON(t, tc.doc), at)
			if tc.err != "" {
				require.Error(t, err)
				assert.True(t, errors.Is(err, errMalformed))
				assert.Contains(t, err.Error(), tc.err)
				assert.Equal(t, Need{}, got, "nothing half-parsed")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseCycleUpdate(t *testing.T) {
	at := time.Unix(1, 0)
	tests := []struct {
		name        string
		doc         string
		wantCycle   int64
		wantRun     string
		wantOutputs int
		err         string
	}{
		{"object rows", `{"cycle":3,"outputs":[{"t":1,"id":"V1","bits":[1,0]}]}`, 3, "", 1, ""},
		{"triples and run", `{"runId":"r","cycle":4,"outputs":[[0,"V1",[1]],[1,"V1",[0]]]}`, 4, "r", 2, ""},
		{"bad rows are not looked at here", `{"cycle":5,"outputs":[null,"x",3]}`, 5, "", 3, ""},
		{"no outputs", `{"cycle":6}`, 6, "", 0, ""},
		{"null", `null`, 0, "", 0, "want an object"},
		{"no cycle", `{"outputs":[]}`, 0, "", 0, "cycle is missing"},
		{"outputs string", `{"cycle":1,"outputs":"x"}`, 0, "", 0, "outputs"},
		{"negative cycle", `{"cycle":-2}`, 0, "", 0, "whole"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := decodeJSON(t, tc.doc)
			got, err := parseCycleUpdate(doc, at)
			if tc.err != "" {
				require.ErrorIs(t, err, errMalformed)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantCycle, got.Cycle)
			assert.Equal(t, tc.wantRun, got.RunID)
			assert.Len(t, got.Outputs, tc.wantOutputs)
			assert.Equal(t, doc, got.Raw)
			assert.Equal(t, at, got.At)
		})
	}
}

// FuzzParseEvents: whatever JSON the server sends, parsing never panics,
// and what it accepts has the protocol's shape.
func FuzzParseEvents(f *testing.F) {
	for _, seed := range []string{
		`{"runId":"r","cycle":12,"deadlineMs":50,"needs":[{"id":"cam","kind":"Image"}]}`,
		`{"cycle":3,"outputs":[[0,"V1",[1,0]]]}`,
		`{"cycle":1.5}`, `[]`, `null`, `"x"`, `{"cycle":1,"needs":[{"id":3}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var doc any
		if json.Unmarshal([]byte(raw), &doc) != nil {
			return
		}
		if n, err := parseNeed(doc, time.Time{}); err == nil {
			if n.Cycle < 0 || n.DeadlineMs < 0 || n.Needs == nil {
				t.Fatalf("accepted a need out of shape: %+v", n)
			}
			for _, it := range n.Needs {
				if it.ID == "" {
					t.Fatalf("accepted a need item without id: %+v", n)
				}
			}
		} else if !errors.Is(err, errMalformed) {
			t.Fatalf("need error not marked malformed: %v", err)
		}
		if u, err := parseCycleUpdate(doc, time.Time{}); err == nil {
			if u.Cycle < 0 || u.Raw == nil {
				t.Fatalf("accepted a cycle update out of shape: %+v", u)
			}
		} else if !errors.Is(err, errMalformed) {
			t.Fatalf("cycle error not marked malformed: %v", err)
		}
	})
}
