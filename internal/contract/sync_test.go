package contract

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/sync")

// userTemplates stand in for the policy templates the caller passes.
var userTemplates = map[string][]byte{
	"reward_policy.yaml":    []byte("# reward policy template\nreward: {}\n"),
	"deviation_policy.yaml": []byte("# deviation policy template\ndeviation: {}\n"),
}

func syncCase(t *testing.T, dir, name string) SyncReport {
	t.Helper()
	doc, err := DecodeDocument(mustRead(t, filepath.Join("testdata", "sync", name, "contract.json")))
	require.NoError(t, err)
	rep, err := Sync(dir, doc, userTemplates)
	require.NoError(t, err)
	return rep
}

// dirFiles reads every file of dir.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	files := map[string][]byte{}
	for _, e := range entries {
		files[e.Name()] = mustRead(t, filepath.Join(dir, e.Name()))
	}
	return files
}

// Each testdata/sync/<case> holds contract.json and, under want/, the folder
// a sync of it must leave. Run with -update to rewrite want/.
func TestSyncGoldens(t *testing.T) {
	cases, err := filepath.Glob("testdata/sync/*/contract.json")
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		name := filepath.Base(filepath.Dir(c))
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			rep := syncCase(t, dir, name)
			got := dirFiles(t, dir)
			wantDir := filepath.Join("testdata", "sync", name, "want")
			if *update {
				require.NoError(t, os.RemoveAll(wantDir))
				require.NoError(t, os.MkdirAll(wantDir, 0o755))
				for f, b := range got {
					require.NoError(t, os.WriteFile(filepath.Join(wantDir, f), b, 0o644))
				}
			}
			want := dirFiles(t, wantDir)
			assert.Equal(t, slices.Sorted(maps.Keys(want)), slices.Sorted(maps.Keys(got)), "files of the folder")
			for f, b := range want {
				assert.Equal(t, string(b), string(got[f]), f)
			}
			assert.Equal(t, []string{ContractFile, DigestFile, IDsFile}, rep.Written)
			assert.Equal(t, []string{"deviation_policy.yaml", "reward_policy.yaml"}, rep.Created)
			assert.Empty(t, rep.Kept)
			assert.Equal(t, rep.Digest+"\n", string(got[DigestFile]))
			var ids map[string]any
			require.NoError(t, yaml.Unmarshal(got[IDsFile], &ids), "the ids reference is YAML")
			assert.Equal(t, rep.Digest, ids["sha256"])
		})
	}
}

func TestSyncAgainKeepsUserFilesAndRewritesMachineFiles(t *testing.T) {
	dir := t.TempDir()
	syncCase(t, dir, "defaults")
	edited := []byte("# my reward policy\nreward: {global: 0.7}\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "reward_policy.yaml"), edited, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ContractFile), []byte("tampered"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(dir, IDsFile)))
	require.NoError(t, os.Remove(filepath.Join(dir, "deviation_policy.yaml")))

	rep := syncCase(t, dir, "protocol_example")
	assert.Equal(t, []string{"deviation_policy.yaml"}, rep.Created)
	assert.Equal(t, []string{"reward_policy.yaml"}, rep.Kept)
	got := dirFiles(t, dir)
	assert.Equal(t, string(edited), string(got["reward_policy.yaml"]), "a user file is never overwritten")
	want := dirFiles(t, filepath.Join("testdata", "sync", "protocol_example", "want"))
	for _, f := range []string{ContractFile, DigestFile, IDsFile, "deviation_policy.yaml"} {
		assert.Equal(t, string(want[f]), string(got[f]), f)
	}
	assert.Len(t, got, 5, "no temporary file left behind")
}

func TestSyncRefusedWritesNothing(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"bad constant", `{"constants":{"gamma":"48.0"}}`, "constants.gamma"},
		{"feedback n the SDK cannot read", `{"io":{"feedback":[{"id":"f","n":"many"}]}}`, "io.feedback[0]: n"},
		{"feedback n null", `{"io":{"feedback":[{"id":"f","n":null}]}}`, "io.feedback[0]: n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "policies")
			doc, err := DecodeDocument([]byte(tc.doc))
			require.NoError(t, err)
			_, err = Sync(dir, doc, userTemplates)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			_, err = os.Stat(dir)
			assert.ErrorIs(t, err, os.ErrNotExist)
		})
	}
}

func TestSyncUserFileNames(t *testing.T) {
	doc := map[string]any{}
	for _, name := range []string{"", ".", "..", "../x.yaml", "a/b.yaml", `a\b.yaml`, "_contract.json", "_contract_mine.yaml"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Sync(dir, doc, map[string][]byte{name: []byte("x")})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "user file name")
			assert.Empty(t, dirFiles(t, dir))
		})
	}
}

func TestSyncKeepsWhateverHoldsAUserFileName(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "reward_policy.yaml"), 0o755))
	require.NoError(t, os.Symlink("nowhere", filepath.Join(dir, "deviation_policy.yaml")))
	rep, err := Sync(dir, map[string]any{}, userTemplates)
	require.NoError(t, err)
	assert.Equal(t, []string{"deviation_policy.yaml", "reward_policy.yaml"}, rep.Kept)
	target, err := os.Readlink(filepath.Join(dir, "deviation_policy.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "nowhere", target)
}

func TestSyncIntoAFileFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := Sync(filepath.Join(file, "policies"), map[string]any{}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "policies folder")
}

func TestReadSyncedDigest(t *testing.T) {
	const digest = "cde9c8f6f3f6048a065c5639d2efedab55fc45c1957f7888930c796d8be95dfe"
	tests := []struct {
		name, content, want, err string
	}{
		{"as the SDK writes it", digest + "\n", digest, ""},
		{"without newline", digest, digest, ""},
		{"upper case", "CDE9C8F6F3F6048A065C5639D2EFEDAB55FC45C1957F7888930C796D8BE95DFE\n", "", "not a sha256"},
		{"short", "cde9\n", "", "not a sha256"},
		{"empty", "", "", "not a sha256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, DigestFile), []byte(tc.content), 0o644))
			got, err := ReadSyncedDigest(dir)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := ReadSyncedDigest(t.TempDir())
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestCompareDigest(t *testing.T) {
	dir := t.TempDir()
	syncCase(t, dir, "protocol_example")
	same, err := DecodeDocument(mustRead(t, "testdata/sync/protocol_example/contract.json"))
	require.NoError(t, err)
	changed, err := DecodeDocument([]byte(`{"io":{"outputs":[{"id":"V9"}]}}`))
	require.NoError(t, err)

	ok, synced, current, err := CompareDigest(dir, same)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, synced, current)

	ok, synced, current, err = CompareDigest(dir, changed)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.NotEqual(t, synced, current)

	ok, _, current, err = CompareDigest(t.TempDir(), same)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.False(t, ok)
	assert.Equal(t, synced, current, "the current digest is known even when nothing was synced")

	_, _, _, err = CompareDigest(dir, map[string]any{"constants": map[string]any{"gamma": nil}})
	assert.ErrorIs(t, err, ErrNotPythonJSON)
}
