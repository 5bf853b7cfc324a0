package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/abbridge/ab_bridge/internal/spikes"
)

func init() {
	register("decode", "decode recorded spike rows into deltas", runDecode)
}

// decodedStep is one output line of abctl decode.
type decodedStep struct {
	T      int                `json:"t"`
	Deltas map[string]float64 `json:"deltas"`
}

// runDecode prints, for recorded output rows, what the bridge's decoder makes
// of them under a mapping: one JSON line {"t", "deltas"} per timestep, as the
// SDK's decode_stream_rows would return them. Malformed rows are reported on
// stderr and skipped, as the bridge does; a file that cannot be read as rows
// at all is an error.
func runDecode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("abctl decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mappingPath := fs.String("mapping", "", "mapping file: a list of mapping entries, .json, .yaml or .yml")
	rowsPath := fs.String("rows", "", "recorded rows: a JSON array of output rows, a cycle:update object with \"outputs\", or JSON lines of cycle:updates")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: decode: %v", errUsage, err)
	}
	if *mappingPath == "" || *rowsPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: decode needs --mapping FILE and --rows FILE and nothing else", errUsage)
	}
	entries, warnings, err := spikes.LoadMapping(*mappingPath)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	// What the SDK ignores is decoded as the SDK does, but said: a typo in
	// a key otherwise goes unnoticed.
	for _, w := range warnings {
		fmt.Fprintf(stderr, "abctl decode: warning: %v\n", w)
	}
	decoder, err := spikes.NewDecoder(entries)
	if err != nil {
		return fmt.Errorf("decode: mapping %s: %w", *mappingPath, err)
	}
	f, err := os.Open(*rowsPath)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	defer f.Close()
	out := bufio.NewWriter(stdout)
	if err := decodeRowsFile(ctx, decoder, f, *rowsPath, out, stderr); err != nil {
		return err
	}
	return out.Flush()
}

// decodeRowsFile decodes each JSON value of the file as one batch of rows.
func decodeRowsFile(ctx context.Context, decoder *spikes.Decoder, r io.Reader, name string, out io.Writer, stderr io.Writer) error {
	in := json.NewDecoder(bufio.NewReader(r))
	enc := json.NewEncoder(out)
	var (
		buf              spikes.Buffer
		batches, skipped int
		total            int
	)
	for ; ; batches++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var v any
		err := in.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("decode: rows %s: value %d: %w", name, batches+1, err)
		}
		outputs, err := outputsOf(v)
		if err != nil {
			return fmt.Errorf("decode: rows %s: value %d: %w", name, batches+1, err)
		}
		rows, bad := spikes.ParseRows(outputs)
		for _, b := range bad {
			fmt.Fprintf(stderr, "abctl decode: %s: value %d: skipped %v\n", name, batches+1, b)
		}
		skipped += len(bad)
		total += len(outputs)
		for _, s := range decoder.DecodeInto(&buf, rows) {
			if err := enc.Encode(decodedStep{T: s.T, Deltas: s.Map()}); err != nil {
				return fmt.Errorf("decode: write: %w", err)
			}
		}
	}
	if batches == 0 {
		return fmt.Errorf("decode: rows %s: no JSON value in the file", name)
	}
	if skipped > 0 {
		fmt.Fprintf(stderr, "abctl decode: %s: skipped %d malformed of %d rows\n", name, skipped, total)
	}
	return nil
}

// outputsOf finds the rows in one JSON value: the value itself when it is a
// list, else the "outputs" list of a cycle:update.
func outputsOf(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case map[string]any:
		raw, ok := x["outputs"]
		if !ok {
			return nil, errors.New(`an object must be a cycle:update with "outputs"`)
		}
		outputs, ok := raw.([]any)
		if !ok {
			return nil, errors.New(`"outputs" must be a list of rows`)
		}
		return outputs, nil
	}
	return nil, errors.New("want a list of rows or a cycle:update object")
}
