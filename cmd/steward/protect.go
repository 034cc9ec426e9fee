package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/web"
)

// criticalRateFactor sizes the per-IP buckets of health checks and the bot
// endpoint against the ordinary ones: Teams' Bot Connector and load
// balancer probes come from few addresses, and must not be starved by the
// ordinary limit a user's browser lives under.
const criticalRateFactor = 10

// protect wraps h with the edge's denial-of-service protections built from
// the configuration: per-IP rate limits (in Redis when redis_url is set, so
// every replica draws from the same buckets), the in-flight limit with load
// shedding, and the body and header limits.
func (a *app) protect(h http.Handler) http.Handler {
	opts, err := a.protectOptions()
	if err != nil {
		// The settings were validated at start and redis_url already
		// parsed when the cache connected: this cannot happen short of a
		// bug, and serving unprotected would hide it.
		a.log.Error("edge protections cannot be built; refusing every request", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "service misconfigured", http.StatusServiceUnavailable)
		})
	}
	return edge.Protect(h, opts)
}

func (a *app) protectOptions() (edge.ProtectOptions, error) {
	cfg := a.cfg
	opts := edge.ProtectOptions{
		ClientIP: edge.ClientIPOf,
		Limits:   edge.DefaultLimits(),
		Logger:   a.log.With("component", "edge"),
	}
	if cfg.RateLimitPerIP != (edge.Rate{}) {
		critical := edge.Rate{PerSecond: cfg.RateLimitPerIP.PerSecond * criticalRateFactor, Burst: cfg.RateLimitPerIP.Burst * criticalRateFactor}
		var err error
		if opts.IPLimiter, err = a.limiter(cfg.RateLimitPerIP); err != nil {
			return opts, err
		}
		if opts.CriticalIPLimiter, err = a.limiter(critical); err != nil {
			return opts, err
		}
	}
	if cfg.MaxInFlight > 0 {
		shed, err := edge.NewShedder(edge.ShedOptions{MaxInFlight: cfg.MaxInFlight, MaxPerClient: cfg.MaxInFlightPerIP})
		if err != nil {
			return opts, err
		}
		opts.Shedder = shed
	}
	return opts, nil
}

// tenantLimit is the per-organization limit the API and the pages apply
// once they know who is asking; nil when rate_limit_per_tenant is off.
func (a *app) tenantLimit() (web.TenantRateLimit, error) {
	if a.cfg.RateLimitTenant == (edge.Rate{}) {
		return nil, nil
	}
	l, err := a.limiter(a.cfg.RateLimitTenant)
	if err != nil {
		return nil, err
	}
	return edge.TenantLimiter{Limiter: l}, nil
}

// limiter is an in-process limiter at rate or, with redis_url, one shared
// through Redis that falls back to the in-process one while Redis is
// unreachable.
func (a *app) limiter(rate edge.Rate) (edge.Limiter, error) {
	local, err := edge.NewMemoryLimiter(rate, edge.MemoryLimiterOptions{})
	if err != nil {
		return nil, err
	}
	if a.cfg.RedisURL == "" {
		return local, nil
	}
	ropts, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return nil, errors.New("redis_url cannot be parsed for the rate limiter") // the URL holds a password: not in the error
	}
	// Fail fast: a slow Redis must not hold every request.
	ropts.ContextTimeoutEnabled = true
	ropts.ReadTimeout, ropts.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	client := redis.NewClient(ropts)
	a.closers = append(a.closers, func(context.Context) error { return client.Close() })
	shared, err := edge.NewRedisLimiter(client, rate, edge.RedisLimiterOptions{Prefix: "steward:ratelimit"})
	if err != nil {
		return nil, err
	}
	return &edge.FallbackLimiter{Primary: shared, Fallback: local, Logger: a.log.With("component", "edge")}, nil
}

// parseRate reads rate_limit_per_ip: "off", or RATE/s,burst=N.
func parseRate(v string) (edge.Rate, error) {
	const want = "expected RATE/s,burst=N such as 50/s,burst=200, or off"
	v = strings.TrimSpace(v)
	if v == "off" {
		return edge.Rate{}, nil
	}
	perSec, burst, ok := strings.Cut(v, ",")
	perSec, okRate := strings.CutSuffix(strings.TrimSpace(perSec), "/s")
	burst, okBurst := strings.CutPrefix(strings.TrimSpace(burst), "burst=")
	if !ok || !okRate || !okBurst {
		return edge.Rate{}, errors.New(want)
	}
	r, err := strconv.ParseFloat(perSec, 64)
	if err != nil {
		return edge.Rate{}, errors.New(want)
	}
	b, err := strconv.Atoi(burst)
	if err != nil {
		return edge.Rate{}, errors.New(want)
	}
	rate := edge.Rate{PerSecond: r, Burst: b}
	if err := rate.Validate(); err != nil {
		return edge.Rate{}, fmt.Errorf("%s: rate from 0 (exclusive) to 1000000 a second, burst from 1 to 1000000", want)
	}
	return rate, nil
}

// intRangeSetter accepts a whole number from lo to hi.
func intRangeSetter(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("expected a whole number from %d to %d", lo, hi)
		}
		*field(c) = n
		return nil
	}
}
