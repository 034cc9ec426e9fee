// Command startup measures how long `steward dev` takes from exec to a 200
// from /readyz, on a fresh data directory (first run: keyring, SQLite file,
// all migrations) and on an existing one, against a baseline measured in the
// same run: exec to exit of `steward version`, the cost of starting the
// process at all.
//
//	go run ./bench/startup -n 20
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 20, "runs per scenario")
	flag.Parse()
	if err := run(*n); err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
}

func run(n int) error {
	dir, err := os.MkdirTemp("", "steward-startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "steward")
	build := exec.Command("go", "build", "-o", bin, "./cmd/steward")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	var baseline, fresh, warm []time.Duration
	warmDir := filepath.Join(dir, "warm")
	if _, err := readyTime(bin, warmDir); err != nil { // create the warm data dir
		return err
	}
	for i := range n {
		t0 := time.Now()
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			return fmt.Errorf("version: %v: %s", err, out)
		}
		baseline = append(baseline, time.Since(t0))
		d, err := readyTime(bin, filepath.Join(dir, fmt.Sprintf("fresh-%d", i)))
		if err != nil {
			return err
		}
		fresh = append(fresh, d)
		if d, err = readyTime(bin, warmDir); err != nil {
			return err
		}
		warm = append(warm, d)
	}
	b := stats(baseline)
	fmt.Printf("runs per scenario: %d\n", n)
	fmt.Printf("%-40s %9s %9s %9s %8s\n", "scenario", "p50", "p95", "max", "p50/base")
	for _, s := range []struct {
		name string
		d    []time.Duration
	}{{"baseline: exec → exit of `steward version`", baseline}, {"dev, fresh data dir: exec → /readyz 200", fresh}, {"dev, existing data dir: exec → /readyz 200", warm}} {
		st := stats(s.d)
		fmt.Printf("%-40s %9s %9s %9s %7.1fx\n", s.name, ms(st.p50), ms(st.p95), ms(st.max), float64(st.p50)/float64(b.p50))
	}
	return nil
}

var readyLine = regexp.MustCompile(`Readiness: (\S+)`)

// readyTime starts steward dev on a free loopback port and returns the time
// from exec until /readyz first answers 200, then stops it with SIGINT.
func readyTime(bin, dataDir string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "dev", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stderr = io.Discard
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	var url string
	for sc.Scan() {
		if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if url == "" {
		return 0, fmt.Errorf("steward dev announced no readiness URL")
	}
	client := &http.Client{Timeout: time.Second}
	for ctx.Err() == nil {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(t0), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("/readyz never answered 200")
}

type summary struct{ p50, p95, max time.Duration }

func stats(d []time.Duration) summary {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return summary{at(0.50), at(0.95), s[len(s)-1]}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
