package integration

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// handWrittenMsgsFiles live in msgs/ beside the generated bindings and are
// not produced by scripts/gen-msgs.
var handWrittenMsgsFiles = map[string]bool{"doc.go": true, "generate.go": true}

// treeDiff lists how a generated tree differs from the committed one.
type treeDiff struct {
	missing []string // generated, not committed
	extra   []string // committed, not generated
	changed []string // in both, different bytes
}

func (d treeDiff) empty() bool {
	return len(d.missing)+len(d.extra)+len(d.changed) == 0
}

func (d treeDiff) String() string {
	var b strings.Builder
	for _, s := range []struct {
		what  string
		files []string
	}{{"not committed", d.missing}, {"committed but no longer generated", d.extra}, {"differs", d.changed}} {
		for _, f := range s.files {
			b.WriteString("  " + s.what + ": " + f + "\n")
		}
	}
	return b.String()
}

// diffTrees compares every file of generated with committed, skipping the
// committed hand-written files.
func diffTrees(committed, generated fs.FS, handWritten map[string]bool) (treeDiff, error) {
	want, err := readTree(committed)
	if err != nil {
		return treeDiff{}, err
	}
	got, err := readTree(generated)
	if err != nil {
		return treeDiff{}, err
	}
	var d treeDiff
	for name, g := range got {
		w, ok := want[name]
		switch {
		case !ok:
			d.missing = append(d.missing, name)
		case !bytes.Equal(w, g):
			d.changed = append(d.changed, name)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok && !handWritten[name] {
			d.extra = append(d.extra, name)
		}
	}
	sort.Strings(d.missing)
	sort.Strings(d.extra)
	sort.Strings(d.changed)
	return d, nil
}

func readTree(fsys fs.FS) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, name)
		files[name] = b
		return err
	})
	return files, err
}

func TestDiffTreesReportsEveryDifference(t *testing.T) {
	committed := fstest.MapFS{
		"doc.go":                       {Data: []byte("package msgs")},
		"std_msgs/msg/Bool.gen.go":     {Data: []byte("bool")},
		"std_msgs/msg/common.gen.go":   {Data: []byte("-L/opt/ros/jazzy/lib")},
		"std_msgs/msg/Removed.gen.go":  {Data: []byte("gone")},
		"sensor_msgs/msg/Image.gen.go": {Data: []byte("image")},
	}
	tests := []struct {
		name      string
		generated fstest.MapFS
		want      treeDiff
	}{
		{
			name: "identical apart from hand-written files",
			generated: fstest.MapFS{
				"std_msgs/msg/Bool.gen.go":     {Data: []byte("bool")},
				"std_msgs/msg/common.gen.go":   {Data: []byte("-L/opt/ros/jazzy/lib")},
				"std_msgs/msg/Removed.gen.go":  {Data: []byte("gone")},
				"sensor_msgs/msg/Image.gen.go": {Data: []byte("image")},
			},
		},
		{
			name: "machine path, new message, dropped message",
			generated: fstest.MapFS{
				"std_msgs/msg/Bool.gen.go":     {Data: []byte("bool")},
				"std_msgs/msg/common.gen.go":   {Data: []byte("-L/home/dev/ab_bridge/.ros/lib")},
				"std_msgs/msg/Added.gen.go":    {Data: []byte("new")},
				"sensor_msgs/msg/Image.gen.go": {Data: []byte("image")},
			},
			want: treeDiff{
				missing: []string{"std_msgs/msg/Added.gen.go"},
				extra:   []string{"std_msgs/msg/Removed.gen.go"},
				changed: []string{"std_msgs/msg/common.gen.go"},
			},
		},
		{
			name:      "nothing generated",
			generated: fstest.MapFS{},
			want: treeDiff{extra: []string{
				"sensor_msgs/msg/Image.gen.go", "std_msgs/msg/Bool.gen.go",
				"std_msgs/msg/Removed.gen.go", "std_msgs/msg/common.gen.go",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := diffTrees(committed, tt.generated, handWrittenMsgsFiles)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.empty(), got.empty())
		})
	}
}

// The committed bindings must be exactly what scripts/gen-msgs produces from
// the pinned generator and the installed ROS 2 messages: no hand edits, no
// machine paths, nothing stale.
func TestCommittedMsgsMatchRegeneration(t *testing.T) {
	if os.Getenv("AMENT_PREFIX_PATH") == "" {
		t.Fatal("AMENT_PREFIX_PATH is not set: source env.sh (written by scripts/setup)")
	}
	root := repoRoot(t)
	dest := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "gen-msgs"), dest)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "scripts/gen-msgs:\n%s", out)

	d, err := diffTrees(os.DirFS(filepath.Join(root, "msgs")), os.DirFS(dest), handWrittenMsgsFiles)
	require.NoError(t, err)
	assert.True(t, d.empty(), "msgs/ differs from a fresh regeneration; run scripts/gen-msgs and commit:\n%s", d)

	gen, err := readTree(os.DirFS(dest))
	require.NoError(t, err)
	assert.Greater(t, len(gen), 100, "the regeneration produced too few files")
	checked := 0
	for name, b := range gen {
		for _, p := range cgoPaths(string(b)) {
			assert.True(t, strings.HasPrefix(p, "/opt/ros/jazzy/"), "%s: #cgo path %q is not under /opt/ros/jazzy", name, p)
			checked++
		}
	}
	assert.NotZero(t, checked, "no #cgo folder found in the generated bindings")
}

var cgoPathRE = regexp.MustCompile(`(?:-I|-L|-rpath=)(/[^"\s]*)`)

// cgoPaths returns the folders named by -I, -L and -rpath in #cgo lines.
func cgoPaths(src string) []string {
	var paths []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, "#cgo ") {
			continue
		}
		for _, m := range cgoPathRE.FindAllStringSubmatch(line, -1) {
			paths = append(paths, m[1])
		}
	}
	return paths
}

func TestCgoPathsFindsEveryFolder(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"quoted link flags", `#cgo LDFLAGS: "-L/opt/ros/jazzy/lib" "-Wl,-rpath=/opt/ros/jazzy/lib"`, []string{"/opt/ros/jazzy/lib", "/opt/ros/jazzy/lib"}},
		{"include flag", `#cgo CFLAGS: "-I/home/dev/.ros/include/std_msgs"`, []string{"/home/dev/.ros/include/std_msgs"}},
		{"libraries only", `#cgo LDFLAGS: -lrcl -lrcutils`, nil},
		{"not a cgo line", `// see -I/usr/include`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cgoPaths(tt.src))
		})
	}
}
