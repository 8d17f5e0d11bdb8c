package benchmark

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// RunCompare is `duban bench --compare`: it runs the comparison program of the checkout in
// the working directory or above it (bench/compare, a Go module of its own, with `go run`),
// which runs this binary's bench with o's sizes and the alternatives beside it.
func RunCompare(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	dir, err := compareDir()
	if err != nil {
		return err
	}
	exe := o.Exe
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	rates := make([]string, len(o.Rates))
	for i, r := range o.Rates {
		rates[i] = strconv.Itoa(r)
	}
	pass := []string{"--rates=" + strings.Join(rates, ","), "--rate-for=" + o.RateFor.String(), "--batch=" + strconv.Itoa(o.Batch),
		"--conns=" + strconv.Itoa(o.Conns), "--probes=" + strconv.Itoa(o.Probes), "--clients=" + strconv.Itoa(o.Clients),
		"--alerts=" + strconv.Itoa(o.Alerts), "--lag-rate=" + strconv.FormatFloat(o.LagRate, 'g', -1, 64),
		"--redis-server=" + o.RedisServer, "--progress=" + strconv.FormatBool(o.Progress)}
	args := []string{"run", ".", "--duban", exe, "--open", strconv.Itoa(o.Cases), "--burst", strconv.Itoa(o.Burst),
		"--redis-server", o.RedisServer, "--bench-args", strings.Join(pass, " ")}
	if o.CompareJSON != "" {
		abs, err := filepath.Abs(o.CompareJSON)
		if err != nil {
			return err
		}
		args = append(args, "--json", abs)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
	return cmd.Run()
}

// compareDir finds bench/compare in the working directory or one of its parents.
func compareDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		d := filepath.Join(dir, "bench", "compare")
		if st, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !st.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("--compare runs bench/compare of a duban checkout: run it inside one")
		}
		dir = parent
	}
}
