// Command edge measures Steward's denial-of-service protections from the
// outside, on loopback. It is the Go half of bench/edge/run.sh, which
// starts the server and the attack tools; this program is the second
// client:
//
//	probe: while an attack runs, measure /healthz and bot endpoint latency
//	       (p50/p99, errors) from another loopback address, and sample the
//	       server's resident memory (VmRSS).
//	flood: one address sends as fast as it can while another sends at a
//	       steady rate; report how each was answered.
//	certs: make (or reuse) a bench CA, its CRL and a certificate for
//	       localhost, 127.0.0.1 and ::1 whose CRL distribution point is
//	       -crl-url: Steward's dev CA code, for `steward serve`'s
//	       tls_cert_file and tls_key_file.
//	crl:   serve that CRL over plain HTTP on a loopback address, as a CA
//	       serves its CRL, until stopped or -duration ends.
//
// Every run is bounded in time and connections, and refuses any target
// that is not on loopback.
//
//	go run ./bench/edge probe -url https://127.0.0.1:8443 -pid 1234 -duration 30s
//	go run ./bench/edge flood -url https://127.0.0.1:8443 -duration 20s
//	go run ./bench/edge certs -dir /tmp/ca -crl-url http://127.0.0.1:18480/bench-ca.crl
//	go run ./bench/edge crl -dir /tmp/ca -listen 127.0.0.1:18480 -duration 2h
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward/edge"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench/edge:", err)
		os.Exit(1)
	}
}

type common struct {
	target   *url.URL
	caFile   string
	duration time.Duration
	out      string
}

func run(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: edge probe|flood|certs|crl [flags]")
	}
	switch args[0] {
	case "certs":
		return certs(args[1:], stdout)
	case "crl":
		return serveCRL(args[1:], stdout)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	rawURL := fs.String("url", "", "Steward's base URL on loopback, e.g. https://127.0.0.1:8443")
	caFile := fs.String("cacert", "", "PEM CA to trust for the server's certificate (default: the system pool)")
	duration := fs.Duration("duration", 30*time.Second, "how long to measure (at most 10m)")
	out := fs.String("out", "", "also write the result as JSON to this file")
	// probe
	src := fs.String("src", "127.0.0.2", "probe: the loopback address the probe connects from")
	rate := fs.Int("rate", 20, "probe: requests a second to each endpoint; flood: the steady client's requests a second")
	pid := fs.Int("pid", 0, "probe: the server's process id, for VmRSS (0: no memory sampling)")
	// flood
	floodSrc := fs.String("flood-src", "127.0.0.1", "flood: the flooding address")
	legitSrc := fs.String("legit-src", "127.0.0.2", "flood: the steady client's address")
	workers := fs.Int("workers", 64, "flood: concurrent flooding connections (at most 1000)")
	path := fs.String("path", "/", "flood: the route both clients request")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	u, err := url.Parse(*rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !isLoopback(u.Hostname()) {
		return fmt.Errorf("-url %q: expected an http(s) URL on a loopback address", *rawURL)
	}
	if *duration <= 0 || *duration > 10*time.Minute {
		return errors.New("-duration: from 1s to 10m")
	}
	if *rate < 1 || *rate > 1000 {
		return errors.New("-rate: from 1 to 1000")
	}
	c := common{target: u, caFile: *caFile, duration: *duration, out: *out}
	var result any
	switch args[0] {
	case "probe":
		s, err := loopbackAddr(*src)
		if err != nil {
			return err
		}
		result, err = probe(c, s, *rate, *pid)
		if err != nil {
			return err
		}
	case "flood":
		if *workers < 1 || *workers > 1000 {
			return errors.New("-workers: from 1 to 1000")
		}
		fsrc, err := loopbackAddr(*floodSrc)
		if err != nil {
			return err
		}
		lsrc, err := loopbackAddr(*legitSrc)
		if err != nil {
			return err
		}
		result, err = flood(c, fsrc, lsrc, *workers, *rate, *path)
		if err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown mode %q: probe, flood, certs or crl", args[0])
	}
	b, _ := json.MarshalIndent(result, "", "  ")
	fmt.Fprintln(stdout, string(b))
	if c.out != "" {
		return os.WriteFile(c.out, append(b, '\n'), 0o644)
	}
	return nil
}

func isLoopback(host string) bool {
	ip, err := netip.ParseAddr(host)
	return (err == nil && ip.IsLoopback()) || host == "localhost"
}

func loopbackAddr(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.IsLoopback() {
		return netip.Addr{}, fmt.Errorf("%q: expected a loopback address such as 127.0.0.2", s)
	}
	return ip, nil
}

// client connects from src. keepAlive false opens a new connection (TCP
// and TLS handshakes) per request: a probe then also measures whether the
// server still accepts connections.
func (c common) client(src netip.Addr, keepAlive bool, conns int) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.caFile != "" {
		pem, err := os.ReadFile(c.caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", c.caFile)
		}
		tc.RootCAs = pool
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src.AsSlice()}, Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: d.DialContext, TLSClientConfig: tc, ForceAttemptHTTP2: false,
		DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		TLSHandshakeTimeout: 5 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, nil
}

// series collects latencies and outcomes.
type series struct {
	mu       sync.Mutex
	lat      []time.Duration
	statuses map[string]int
}

func newSeries() *series { return &series{statuses: map[string]int{}} }

func (s *series) add(d time.Duration, outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat = append(s.lat, d)
	s.statuses[outcome]++
}

// Summary is one series' figures.
type Summary struct {
	Requests int            `json:"requests"`
	P50ms    float64        `json:"p50_ms"`
	P99ms    float64        `json:"p99_ms"`
	Maxms    float64        `json:"max_ms"`
	Outcomes map[string]int `json:"outcomes"`
	Errors   int            `json:"errors"`
	ErrorPct float64        `json:"error_pct"`
}

func (s *series) summary(isError func(outcome string) bool) Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Summary{Requests: len(s.lat), Outcomes: s.statuses}
	if len(s.lat) == 0 {
		return out
	}
	l := append([]time.Duration(nil), s.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	pct := func(p float64) float64 {
		i := int(p*float64(len(l))+0.5) - 1
		i = max(0, min(i, len(l)-1))
		return float64(l[i].Microseconds()) / 1000
	}
	out.P50ms, out.P99ms, out.Maxms = pct(0.50), pct(0.99), float64(l[len(l)-1].Microseconds())/1000
	for o, n := range s.statuses {
		if isError(o) {
			out.Errors += n
		}
	}
	out.ErrorPct = 100 * float64(out.Errors) / float64(len(l))
	return out
}

// do sends one request and records its latency and outcome: the status
// code, or "error: ..." for a transport failure (timeouts included).
func do(ctx context.Context, cl *http.Client, method, u string, body []byte, s *series) {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		s.add(0, "error: "+err.Error())
		return
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := cl.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return // the run ended, not the server
		}
		s.add(time.Since(start), "error: "+classify(err))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	s.add(time.Since(start), strconv.Itoa(resp.StatusCode))
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case strings.Contains(err.Error(), "EOF"):
		return "EOF"
	}
	return "other"
}

// steady calls fire rate times a second until ctx ends, each call in its
// own goroutine (open loop: a slow answer does not slow the schedule).
func steady(ctx context.Context, rate int, fire func()) {
	var wg sync.WaitGroup
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
			wg.Add(1)
			go func() { defer wg.Done(); fire() }()
		}
	}
}

// botActivity is a Bot Framework activity the bot answers without
// calling anyone: a typing indicator.
var botActivity = []byte(`{"type":"typing","id":"bench-1","channelId":"msteams","serviceUrl":"https://smba.trafficmanager.net/amer/",` +
	`"from":{"id":"29:bench"},"conversation":{"id":"a:bench"},"recipient":{"id":"28:steward"}}`)

// ProbeResult is probe's output.
type ProbeResult struct {
	Target   string  `json:"target"`
	Source   string  `json:"source"`
	Duration string  `json:"duration"`
	Healthz  Summary `json:"healthz"`
	Bot      Summary `json:"bot_endpoint"`
	RSS      *RSS    `json:"rss,omitempty"`
}

// RSS is the server's resident memory over the run, in MiB.
type RSS struct {
	StartMiB float64 `json:"start_mib"`
	MaxMiB   float64 `json:"max_mib"`
	EndMiB   float64 `json:"end_mib"`
	Samples  int     `json:"samples"`
}

func probe(c common, src netip.Addr, rate, pid int) (ProbeResult, error) {
	cl, err := c.client(src, false, 0)
	if err != nil {
		return ProbeResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	health, bot := newSeries(), newSeries()
	base := strings.TrimSuffix(c.target.String(), "/")
	var wg sync.WaitGroup
	var rss *RSS
	if pid > 0 {
		rss = &RSS{}
		first, err := vmRSS(pid)
		if err != nil {
			return ProbeResult{}, err
		}
		rss.StartMiB, rss.MaxMiB = first, first
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					if v, err := vmRSS(pid); err == nil {
						rss.Samples++
						rss.MaxMiB = max(rss.MaxMiB, v)
						rss.EndMiB = v
					}
				}
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		steady(ctx, rate, func() { do(ctx, cl, "GET", base+"/healthz", nil, health) })
	}()
	go func() {
		defer wg.Done()
		steady(ctx, rate, func() { do(ctx, cl, "POST", base+"/api/messages", botActivity, bot) })
	}()
	wg.Wait()
	answered := func(o string) bool { return strings.HasPrefix(o, "error") || o == "429" || o == "503" || o[0] == '5' }
	return ProbeResult{
		Target: base, Source: src.String(), Duration: c.duration.String(),
		Healthz: health.summary(func(o string) bool { return o != "200" }),
		Bot:     bot.summary(answered),
		RSS:     rss,
	}, nil
}

// vmRSS reads a process's resident set size in MiB from /proc.
func vmRSS(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb / 1024, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
}

// FloodResult is flood's output.
type FloodResult struct {
	Target   string  `json:"target"`
	Path     string  `json:"path"`
	Duration string  `json:"duration"`
	Flooder  Summary `json:"flooder"`
	FloodRPS float64 `json:"flooder_rps"`
	Limited  float64 `json:"flooder_limited_pct"`
	Legit    Summary `json:"steady_client"`
}

func flood(c common, floodSrc, legitSrc netip.Addr, workers, rate int, path string) (FloodResult, error) {
	fcl, err := c.client(floodSrc, true, workers)
	if err != nil {
		return FloodResult{}, err
	}
	lcl, err := c.client(legitSrc, true, 16)
	if err != nil {
		return FloodResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.duration)
	defer cancel()
	u := strings.TrimSuffix(c.target.String(), "/") + path
	fs, ls := newSeries(), newSeries()
	var sent atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				do(ctx, fcl, "GET", u, nil, fs)
				sent.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		steady(ctx, rate, func() { do(ctx, lcl, "GET", u, nil, ls) })
	}()
	wg.Wait()
	refusedOrFailed := func(o string) bool { return strings.HasPrefix(o, "error") || o[0] == '5' || o == "429" }
	fsum := fs.summary(refusedOrFailed)
	limited := 0.0
	if fsum.Requests > 0 {
		limited = 100 * float64(fsum.Outcomes["429"]+fsum.Outcomes["503"]) / float64(fsum.Requests)
	}
	return FloodResult{
		Target: c.target.String(), Path: path, Duration: c.duration.String(),
		Flooder: fsum, FloodRPS: float64(sent.Load()) / c.duration.Seconds(), Limited: limited,
		Legit: ls.summary(refusedOrFailed),
	}, nil
}

// certs makes or reuses, in -dir, a CA, its CRL and a loopback certificate
// naming -crl-url as its CRL distribution point, with the code of
// `steward dev`'s local CA, and prints the files as JSON.
func certs(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory for the CA, its key, the CRL and the certificate")
	crlURL := fs.String("crl-url", "", "the CRL's URL on loopback, e.g. http://127.0.0.1:18480/bench-ca.crl")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*crlURL)
	if err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return fmt.Errorf("-crl-url %q: expected an http URL on a loopback address", *crlURL)
	}
	if *dir == "" {
		return errors.New("-dir: required")
	}
	d, err := edge.EnsureDevCA(*dir, *crlURL, time.Now())
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(d, "", "  ")
	fmt.Fprintln(stdout, string(b))
	return nil
}

// serveCRL serves the CRL of the CA in -dir at -path on -listen, a
// loopback address, for at most -duration.
func serveCRL(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("crl", flag.ContinueOnError)
	dir := fs.String("dir", "", "the directory certs wrote")
	listen := fs.String("listen", "127.0.0.1:18480", "loopback address to serve the CRL on")
	path := fs.String("path", "/bench-ca.crl", "the CRL's path")
	duration := fs.Duration("duration", time.Hour, "how long to serve (at most 4h)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !isLoopback(host) {
		return fmt.Errorf("-listen %q: expected a loopback host:port such as 127.0.0.1:18480", *listen)
	}
	if *duration <= 0 || *duration > 4*time.Hour {
		return errors.New("-duration: from 1s to 4h")
	}
	if *dir == "" || !strings.HasPrefix(*path, "/") {
		return errors.New("-dir is required and -path must start with /")
	}
	if _, _, err := edge.DevCRL(*dir, time.Now()); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(*path, edge.DevCRLHandler(*dir, time.Now, slog.New(slog.NewTextHandler(os.Stderr, nil))))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "serving http://%s%s\n", ln.Addr(), *path)
	time.AfterFunc(*duration, func() { hs.Close() })
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
