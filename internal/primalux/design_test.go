package primalux

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testDesign is a designer-saved design; its canonical form and digest are
// what SDK 0.4.0's design_submit computes for it.
const testDesign = `{"schema":"artificial-brains/design/v1","name":"Test Brain","nodes":[
	{"name":"SENSE","kind":"input","x":160.0,"y":160.0,"neurons":16},
	{"name":"REWARD","kind":"input","x":450.0,"y":160.0,"neurons":8},
	{"name":"HUB","kind":"opu","x":740.0,"y":160.0,"rhythm":"beta","tnorm":2},
	{"name":"MOTOR","kind":"output","x":1030.0,"y":160.0,"neurons":8}],
	"connections":[{"from":"SENSE","to":"HUB","type":"exc"},{"from":"REWARD","to":"HUB"},{"from":"HUB","to":"MOTOR","type":"exc"}]}`

const (
	testDesignCanonical = `{"connections":[{"from":"HUB","to":"MOTOR","type":"exc"},{"from":"REWARD","to":"HUB","type":"exc"},{"from":"SENSE","to":"HUB","type":"exc"}],"name":"Test Brain","nodes":[{"kind":"opu","name":"HUB","rhythm":"beta","tnorm":2.0},{"kind":"output","name":"MOTOR","neurons":8},{"kind":"input","name":"REWARD","neurons":8},{"kind":"input","name":"SENSE","neurons":16}],"schema":"artificial-brains/design/v1"}`
	testDesignDigest    = "5b315c0bbabca5e284df5a9c799335f1f7a921ddecd49e9bb09b12e423f8e367"
)

func TestParseDesign(t *testing.T) {
	d, err := ParseDesign([]byte(testDesign))
	require.NoError(t, err)
	assert.Equal(t, testDesignCanonical, string(d.Canonical))
	assert.Equal(t, testDesignDigest, d.Digest)

	d, err = ParseDesign([]byte(`{"nodes":[{"name":"A","kind":"input","neurons":3},{"name":"H","kind":"opu","rhythm":"High-Gamma"},
		{"name":"G","kind":"opu","rhythm":"gamma","tnorm":0.1},{"name":"O","kind":"output"}],
		"connections":[{"from":"A","to":"H"},{"from":"H","to":"G","type":"inh","strength":1},{"from":"G","to":"H","type":"inh","strength":2.5,"role":"feedback"},
		{"from":"O","to":"G","role":"operand","units":3},{"from":"G","to":"O"}]}`))
	require.NoError(t, err)
	assert.Equal(t, "Untitled Brain", d.Name)
	// What SDK 0.4.0's semantic_design and canonical JSON give for it.
	assert.Equal(t, `{"connections":[{"from":"A","to":"H","type":"exc"},{"from":"G","role":"feedback","strength":2.5,"to":"H","type":"inh"},{"from":"G","to":"O","type":"exc"},`+
		`{"from":"H","to":"G","type":"inh"},{"from":"O","role":"operand","to":"G","type":"exc","units":3.0}],"name":"Untitled Brain",`+
		`"nodes":[{"kind":"input","name":"A","neurons":3},{"kind":"opu","name":"G","rhythm":"gamma","tnorm":0.1},{"kind":"opu","name":"H","rhythm":"high-gamma"},`+
		`{"kind":"output","name":"O","neurons":1}],"schema":"artificial-brains/design/v1"}`, string(d.Canonical))

	for _, bad := range []struct{ in, err string }{
		{`[]`, "must be a JSON object"},
		{`{"schema":"v0"}`, "unsupported design format"},
		{`{"name":" padded"}`, "brain name must be 1–80 characters"},
		{`{"nodes":{}}`, "must be lists"},
		{`{"nodes":[1]}`, "node 1 must be an object"},
		{`{"nodes":[{"name":"a-b","kind":"input","neurons":1}]}`, "population names"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1.0}]}`, "neurons must be an integer"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":true}]}`, "neurons must be an integer"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":499}]}`, "from 1 to 498"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1,"x":-1}]}`, "outside the editing area"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1,"y":null}]}`, "Y position must be a finite number"},
		{`{"nodes":[{"name":"H","kind":"opu","rhythm":"beta"}]}`, "TNorm must be a number"},
		{`{"nodes":[{"name":"H","kind":"opu","rhythm":"beta","tnorm":2.015}]}`, "two decimal places"},
		{`{"nodes":[{"name":"H","kind":"opu","rhythm":"fast","tnorm":1}]}`, "choose high-gamma"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"A","kind":"output"}]}`, "duplicate node name: A"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"O","kind":"output"}],"connections":[{"from":"A","to":"O"}]}`, "through an OPU"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1}],"connections":[{"from":"A","to":"B"}]}`, "unknown node"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"H","kind":"opu","rhythm":"high-gamma"}],"connections":[{"from":"A","to":"H","strength":2}]}`, "only applies to inhibitory"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"H","kind":"opu","rhythm":"high-gamma"}],"connections":[{"from":"A","to":"H","type":"inh","strength":0.05}]}`, "at least 0.1"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"H","kind":"opu","rhythm":"high-gamma"}],"connections":[{"from":"A","to":"H","role":"feedback"}]}`, "cannot be feedback"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"H","kind":"opu","rhythm":"high-gamma"}],"connections":[{"from":"A","to":"H","units":2}]}`, "positive units"},
		{`{"nodes":[{"name":"A","kind":"input","neurons":1},{"name":"H","kind":"opu","rhythm":"high-gamma"}],"connections":[{"from":"A","to":"H"},{"from":"A","to":"H","type":"inh"}]}`, "duplicate connection"},
		{`{"name":"` + strings.Repeat("x", MaxDesignBytes) + `"}`, "at most 1 MiB"},
	} {
		_, err := ParseDesign([]byte(bad.in))
		assert.ErrorContains(t, err, bad.err, "%.200s", bad.in)
	}
}

func TestBuildDesign(t *testing.T) {
	d, err := ParseDesign([]byte(testDesign))
	require.NoError(t, err)
	ready := jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"active":{"design_sha256":"`+testDesignDigest+`"}},"device_id":"plx-1"}`)
	answer := func(fields string) http.HandlerFunc {
		return jsonReply(200, `{"design_sha256":"`+testDesignDigest+`"`+fields+`}`)
	}
	for _, tc := range []struct {
		name   string
		post   http.HandlerFunc
		poll   []http.HandlerFunc
		status http.HandlerFunc
		err    string
	}{
		{name: "ready at once", post: answer(`,"status":"READY","installed":true`), status: ready},
		{name: "accepted, then polled", post: answer(`,"accepted":true,"build_id":"build_0001"`),
			poll: []http.HandlerFunc{answer(`,"status":"BUILDING"`), answer(`,"status":"READY","installed":true`)}, status: ready},
		{name: "another design's answer", post: jsonReply(200, `{"design_sha256":"00","status":"READY","installed":true}`), err: "did not confirm the requested brain design"},
		{name: "refused with feedback", post: answer(`,"failed":true,"build_feedback":{"design_sha256":"` + testDesignDigest + `","code":"NEURON_CAPACITY","populations":["SENSE","bad name","SENSE"]}`),
			err: "[NEURON_CAPACITY] the design exceeds the 10,000-neuron construction budget, inputs included. Populations: SENSE."},
		{name: "refused with an unknown code", post: answer(`,"status":"FAILED","build_feedback":{"design_sha256":"` + testDesignDigest + `","code":"SECRET"}`), err: "could not prepare the brain"},
		{name: "not accepted", post: answer(`,"accepted":false`), err: "did not accept"},
		{name: "bad build id", post: answer(`,"accepted":true,"build_id":"../x"`), err: "did not accept"},
		{name: "old device manager", post: jsonReply(404, `{"detail":"Not Found"}`), err: "update required"},
		{name: "ready but status disagrees", post: answer(`,"status":"READY","installed":true`),
			status: jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"active":{"design_sha256":"other"}}}`), err: "has not confirmed it READY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := map[string]http.HandlerFunc{"POST /api/brain/build": tc.post}
			if tc.poll != nil {
				routes["GET /api/brain/build/build_0001"] = sequence(tc.poll...)
			}
			if tc.status != nil {
				routes["GET /api/status"] = tc.status
			}
			c, dev, _ := newTestClient(t, routes)
			got, err := c.BuildDesign(context.Background(), d, WaitOptions{Timeout: time.Minute}, nil)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, testDesignDigest, got.DesignSHA256)
			assert.Equal(t, "plx-1", got.DeviceID)
			var body struct {
				Design json.RawMessage `json:"design"`
				Digest string          `json:"design_sha256"`
			}
			require.NoError(t, json.Unmarshal(dev.seen()[0].Body, &body))
			assert.Equal(t, testDesignCanonical, string(body.Design))
			assert.Equal(t, testDesignDigest, body.Digest)
		})
	}
}

func TestBuildDesignReportsProgress(t *testing.T) {
	d, err := ParseDesign([]byte(testDesign))
	require.NoError(t, err)
	answer := func(fields string) http.HandlerFunc {
		return jsonReply(200, `{"design_sha256":"`+testDesignDigest+`"`+fields+`}`)
	}
	for _, tc := range []struct {
		name  string
		polls []http.HandlerFunc
		want  []string // status of each report
		err   string
	}{
		{name: "built", polls: []http.HandlerFunc{answer(`,"status":"BUILDING"`), answer(`,"status":"BUILDING"`), answer(`,"status":"READY","installed":true`)},
			want: []string{"BUILDING", "BUILDING", "BUILDING", "READY"}},
		{name: "failed", polls: []http.HandlerFunc{answer(`,"status":"BUILDING"`), answer(`,"status":"FAILED","failed":true,"build_feedback":{"design_sha256":"` + testDesignDigest + `","code":"MISSING_INPUT"}`)},
			want: []string{"BUILDING", "BUILDING", "FAILED"}, err: "[MISSING_INPUT]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _ := newTestClient(t, map[string]http.HandlerFunc{
				"POST /api/brain/build":           answer(`,"accepted":true,"build_id":"build_0001","status":"BUILDING"`),
				"GET /api/brain/build/build_0001": sequence(tc.polls...),
				"GET /api/status":                 jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"active":{"design_sha256":"`+testDesignDigest+`"}}}`),
			})
			var seen []BuildProgress
			_, err := c.BuildDesign(context.Background(), d, WaitOptions{Timeout: time.Minute}, func(p BuildProgress) { seen = append(seen, p) })
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
			} else {
				require.NoError(t, err)
			}
			var statuses []string
			for i, p := range seen {
				statuses = append(statuses, p.Status)
				assert.Equal(t, "build_0001", p.BuildID, "report %d", i)
				assert.Equal(t, i+1, p.Polls, "report %d: requests so far", i)
			}
			assert.Equal(t, tc.want, statuses)
		})
	}
}

func TestBuildDesignResumesAfterALostAnswer(t *testing.T) {
	d, err := ParseDesign([]byte(testDesign))
	require.NoError(t, err)
	var resumes []string
	calls := 0
	c, _, ft := newTestClient(t, map[string]http.HandlerFunc{
		"POST /api/brain/build": func(w http.ResponseWriter, r *http.Request) {
			calls++
			resumes = append(resumes, r.Header.Get("X-PrimaLux-Resume-Build"))
			if calls == 1 { // the answer is lost: the connection closes unanswered
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
				return
			}
			jsonReply(200, `{"design_sha256":"`+testDesignDigest+`","status":"READY","installed":true}`)(w, r)
		},
		"GET /api/status": jsonReply(200, `{"engine":{"state":"READY","has_brain":true},"package":{"active":{"design_sha256":"`+testDesignDigest+`"}}}`),
	})
	_, err = c.BuildDesign(context.Background(), d, WaitOptions{Timeout: time.Minute}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"", "1"}, resumes)
	assert.Equal(t, []time.Duration{time.Second}, ft.slept())
}

func TestLoadDesign(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	for _, tc := range []struct {
		name, path, err string
	}{
		{"a design", write("brain.abdesign.json", testDesign), ""},
		{"a contract JSON", write("contract.json", `{"inputs":[{"id":"A","n":2}],"outputs":[{"id":"B","n":2}]}`), "contract.json is a contract JSON, not a design file"},
		{"a design the designer refuses", write("dup.abdesign.json", `{"nodes":[{"name":"A","kind":"input","neurons":2},{"name":"A","kind":"output","neurons":2}],"connections":[]}`),
			"dup.abdesign.json: duplicate node name: A"},
		{"no file", filepath.Join(dir, "none.abdesign.json"), "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := LoadDesign(tc.path)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, testDesignDigest, d.Digest)
		})
	}
}
