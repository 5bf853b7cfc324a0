package contract

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Files of a policies folder. The machine-owned ones are rewritten by every
// sync; the SDK's _contract.json and _contract.sha256 have the same names
// and contents, so the SDK and the bridge recognise each other's folders.
const (
	ContractFile = "_contract.json"
	DigestFile   = "_contract.sha256"
	IDsFile      = "_contract_ids.yaml"
)

// SyncReport says what a sync did to a policies folder.
type SyncReport struct {
	Dir      string
	Digest   string   // sha256 of the stable view, as written to DigestFile
	Written  []string // machine-owned files, rewritten every time
	Created  []string // user files that did not exist and were created
	Kept     []string // user files that existed and were left alone
	Unlisted int      // io entries the ids reference could not list (no string id)
}

// Sync writes a contract into a policies folder, creating the folder if
// needed: the machine-owned files (stable view, its digest, the ids
// reference) are always overwritten; each of userFiles (name → content) is
// created only if no file of that name exists, and never overwritten.
//
// Nothing is written unless everything could be rendered, and every file
// appears whole or not at all (temporary file, then rename or link).
func Sync(dir string, doc map[string]any, userFiles map[string][]byte) (SyncReport, error) {
	rep := SyncReport{Dir: dir}
	for name := range userFiles {
		if err := checkUserFileName(name); err != nil {
			return rep, err
		}
	}
	machine, digest, unlisted, err := renderMachineFiles(doc)
	if err != nil {
		return rep, err
	}
	rep.Digest, rep.Unlisted = digest, unlisted
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return rep, fmt.Errorf("contract: policies folder: %w", err)
	}
	for _, f := range machine {
		if err := writeAtomic(dir, f.name, f.data); err != nil {
			return rep, err
		}
		rep.Written = append(rep.Written, f.name)
	}
	names := make([]string, 0, len(userFiles))
	for name := range userFiles {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		created, err := createOnce(dir, name, userFiles[name])
		if err != nil {
			return rep, err
		}
		if created {
			rep.Created = append(rep.Created, name)
		} else {
			rep.Kept = append(rep.Kept, name)
		}
	}
	return rep, nil
}

type namedFile struct {
	name string
	data []byte
}

func renderMachineFiles(doc map[string]any) ([]namedFile, string, int, error) {
	v, err := StableView(doc)
	if err != nil {
		return nil, "", 0, err
	}
	digest, err := v.Digest()
	if err != nil {
		return nil, "", 0, err
	}
	pretty, err := v.Indented()
	if err != nil {
		return nil, "", 0, err
	}
	ref, err := newIDsReference(v, digest)
	if err != nil {
		return nil, "", 0, err
	}
	ids, err := ref.render()
	if err != nil {
		return nil, "", 0, err
	}
	return []namedFile{
		{ContractFile, pretty},
		{DigestFile, []byte(digest + "\n")},
		{IDsFile, ids},
	}, digest, ref.unlisted, nil
}

// checkUserFileName keeps user files inside the folder and off the
// machine-owned names.
func checkUserFileName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("contract: user file name %q is not a file name", name)
	case strings.ContainsAny(name, `/\`) || filepath.Base(name) != name:
		return fmt.Errorf("contract: user file name %q must not contain a path", name)
	case strings.HasPrefix(name, "_contract"):
		return fmt.Errorf("contract: user file name %q is reserved for machine-owned files", name)
	}
	return nil
}

// writeAtomic replaces dir/name with data through a temporary file in the
// same folder, so a reader sees the old file or the new one, never half.
func writeAtomic(dir, name string, data []byte) error {
	tmp, err := writeTemp(dir, name, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("contract: write %s: %w", name, err)
	}
	return nil
}

// createOnce creates dir/name with data unless something of that name
// exists, and says whether it did. Linking the finished temporary file is
// atomic and refuses to replace, so a user's file is never overwritten,
// not even by a concurrent sync.
func createOnce(dir, name string, data []byte) (bool, error) {
	path := filepath.Join(dir, name)
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("contract: user file %s: %w", name, err)
	}
	tmp, err := writeTemp(dir, name, data)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrExist):
		return false, nil
	}
	return createExclusive(path, name, data)
}

// createExclusive is createOnce for filesystems without hard links.
func createExclusive(path, name string, data []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("contract: create %s: %w", name, err)
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return false, fmt.Errorf("contract: create %s: %w", name, werr)
	}
	return true, nil
}

func writeTemp(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return "", fmt.Errorf("contract: write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("contract: write %s: %w", name, err)
	}
	return tmp, nil
}

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ReadSyncedDigest reads the digest a sync (the bridge's or the SDK's) left
// in a policies folder. A folder never synced gives an error wrapping
// os.ErrNotExist.
func ReadSyncedDigest(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, DigestFile))
	if err != nil {
		return "", fmt.Errorf("contract: synced digest: %w", err)
	}
	d := strings.TrimSpace(string(b))
	if !digestPattern.MatchString(d) {
		return "", fmt.Errorf("contract: %s holds %q, not a sha256 in hex", filepath.Join(dir, DigestFile), truncate(d, 80))
	}
	return d, nil
}

// CompareDigest compares the digest synced into dir with the one of the
// contract the brain answers now; when they differ, the policies were
// written for another graph and should be synced again.
func CompareDigest(dir string, doc map[string]any) (same bool, synced, current string, err error) {
	if current, err = Digest(doc); err != nil {
		return false, "", "", err
	}
	if synced, err = ReadSyncedDigest(dir); err != nil {
		return false, "", current, err
	}
	return synced == current, synced, current, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
