package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/abbridge/ab_bridge/internal/brain"
	"github.com/abbridge/ab_bridge/internal/config"
	"github.com/abbridge/ab_bridge/internal/contract"
	"github.com/abbridge/ab_bridge/internal/localbrain"
	"github.com/abbridge/ab_bridge/internal/policy"
)

func init() {
	register("sync-policies", "write the project's contract and policy templates into a policies folder", runSyncPolicies)
}

// runSyncPolicies fetches a contract (from the brain named by a node
// config, or from a file) and syncs a policies folder with it: the
// machine-owned contract files are rewritten, reward_policy.yaml and
// deviation_policy.yaml are created from their templates if missing, and
// policies that already existed are checked against the new contract.
func runSyncPolicies(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("abctl sync-policies", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "node configuration: the contract is fetched from its brain (url, project; \"local\" starts the embedded brain)")
	contractFile := fs.String("contract-file", "", "read the contract from this JSON file instead of fetching it")
	dir := fs.String("dir", "policies", "policies folder to write")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: abctl sync-policies (--config FILE | --contract-file FILE) [--dir DIR]\n\n"+
			"Writes %s, %s and %s into DIR (always),\n"+
			"and %s and %s (only if missing; never overwritten).\n"+
			"Existing policies are validated against the contract; a mismatch is an error.\n"+
			"The API key comes from the config's api_key_env / env_file / api_key_file, never from a flag.\n\nflags:\n",
			contract.ContractFile, contract.DigestFile, contract.IDsFile, policy.RewardFileName, policy.DeviationFileName)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: sync-policies: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: sync-policies takes no arguments, got %q", errUsage, fs.Args())
	case (*configPath == "") == (*contractFile == ""):
		fs.Usage()
		return fmt.Errorf("%w: sync-policies needs exactly one of --config and --contract-file", errUsage)
	case *dir == "":
		return fmt.Errorf("%w: sync-policies: --dir must not be empty", errUsage)
	}
	var (
		doc    map[string]any
		source string
		err    error
	)
	if *contractFile != "" {
		doc, err = readContractFile(*contractFile)
		source = *contractFile
	} else {
		doc, source, err = fetchContract(ctx, *configPath, os.Getenv)
	}
	if err != nil {
		return fmt.Errorf("sync-policies: %w", err)
	}
	return syncPolicies(doc, source, *dir, stdout, stderr)
}

// readContractFile reads a contract document saved from the brain.
func readContractFile(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc, err := contract.DecodeDocument(raw)
	if err != nil {
		return nil, fmt.Errorf("contract from %s: %w", path, err)
	}
	return doc, nil
}

// syncPolicies writes the folder from a contract document.
func syncPolicies(doc map[string]any, source, dir string, stdout, stderr io.Writer) error {
	c, err := contract.FromMap(doc)
	if err != nil {
		return fmt.Errorf("sync-policies: contract from %s: %w", source, err)
	}
	rep, err := contract.Sync(dir, doc, map[string][]byte{
		policy.RewardFileName:    policy.RewardTemplate(c),
		policy.DeviationFileName: policy.DeviationTemplate(c),
	})
	if err != nil {
		return fmt.Errorf("sync-policies: %w", err)
	}
	fmt.Fprintf(stdout, "contract from %s\nsha256 %s\n", source, rep.Digest)
	for _, name := range rep.Written {
		fmt.Fprintf(stdout, "wrote   %s\n", filepath.Join(dir, name))
	}
	for _, name := range rep.Created {
		fmt.Fprintf(stdout, "created %s\n", filepath.Join(dir, name))
	}
	for _, name := range rep.Kept {
		fmt.Fprintf(stdout, "kept    %s\n", filepath.Join(dir, name))
	}
	if rep.Unlisted > 0 {
		fmt.Fprintf(stderr, "sync-policies: %d contract entries have no string id and are not listed in %s\n", rep.Unlisted, contract.IDsFile)
	}
	return checkPolicies(dir, c)
}

// checkPolicies validates the folder's policies against the contract they
// will run with: a kept policy may name layers or feedback ids that the
// contract no longer has.
func checkPolicies(dir string, c *contract.Contract) error {
	var errs []error
	if _, err := policy.LoadReward(filepath.Join(dir, policy.RewardFileName), c); err != nil {
		errs = append(errs, err)
	}
	if _, err := policy.LoadDeviation(filepath.Join(dir, policy.DeviationFileName), c); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("sync-policies: the policies do not fit the contract (the contract files were written):\n%w", errors.Join(errs...))
	}
	return nil
}

// fetchContract fetches the contract document from the brain of a node
// config (GET robot/{project}/contract, the key in the protocol's headers),
// starting the embedded brain when its url is "local".
func fetchContract(ctx context.Context, configPath string, getenv func(string) string) (doc map[string]any, source string, err error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, "", err
	}
	b := cfg.Brain
	base := b.URL
	key := ""
	if base == config.LocalBrainURL {
		srv, err := localbrain.New(localbrain.Config{Addr: b.Local.Listen})
		if err != nil {
			return nil, "", err
		}
		defer srv.Close()
		base = srv.URL()
	} else if key, _, err = b.APIKey(getenv); err != nil {
		return nil, "", err
	}
	client, err := brain.NewClient(brain.Config{BaseURL: base, APIKey: key, HTTPTimeout: b.HTTPTimeout,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, "", err
	}
	defer client.Close()
	if doc, err = client.ContractDoc(ctx, b.Project); err != nil {
		return nil, "", err
	}
	return doc, fmt.Sprintf("project %s at %s", b.Project, client.BaseURL()), nil
}
