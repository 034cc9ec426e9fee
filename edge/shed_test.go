package edge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// blockingHandler holds every ordinary request until release is closed,
// and answers critical ones at once.
type blockingHandler struct {
	entered chan struct{}
	release chan struct{}
}

func (h *blockingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !IsCritical(r) {
		h.entered <- struct{}{}
		<-h.release
	}
	w.WriteHeader(http.StatusOK)
}

func TestShedKeepsCriticalAlive(t *testing.T) {
	shed, err := NewShedder(ShedOptions{MaxInFlight: 4, CriticalReserve: 2, QueueWait: 20 * time.Millisecond, RetryAfter: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bh := &blockingHandler{entered: make(chan struct{}, 4), release: make(chan struct{})}
	h := Protect(bh, ProtectOptions{Shedder: shed})

	// Four ordinary requests take every ordinary slot and stay there.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/app/requests", nil)
			r.RemoteAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 1234).String()
			h.ServeHTTP(rec, r)
		}()
	}
	t.Cleanup(func() { close(bh.release); wg.Wait() })
	for range 4 {
		<-bh.entered
	}

	tests := []struct {
		name   string
		method string
		path   string
		want   int
	}{
		{"ordinary request is shed", "GET", "/app/requests", http.StatusServiceUnavailable},
		{"API request is shed", "POST", "/api/v1/requests", http.StatusServiceUnavailable},
		{"healthz is served", "GET", "/healthz", http.StatusOK},
		{"readyz is served", "GET", "/readyz", http.StatusOK},
		{"bot endpoint is served", "POST", "/api/messages", http.StatusOK},
		{"GET of the bot path is not critical", "GET", "/api/messages", http.StatusServiceUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
			if tc.want == http.StatusServiceUnavailable {
				checkRefusal(t, rec, "overloaded", "3")
			}
		})
	}
	if o, r := shed.InFlight(); o != 4 || r != 0 {
		t.Fatalf("in flight after the probes: ordinary %d reserved %d, want 4 and 0", o, r)
	}
}

func TestShedQueueWaitsForASlot(t *testing.T) {
	shed, err := NewShedder(ShedOptions{MaxInFlight: 1, QueueWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.1")
	release, ok := shed.Acquire(ctx, false, ip)
	if !ok {
		t.Fatal("first acquire refused")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		release()
		release() // a second call is harmless
	}()
	start := time.Now()
	r2, ok := shed.Acquire(ctx, false, ip)
	if !ok {
		t.Fatal("a queued request was shed although a slot freed within QueueWait")
	}
	r2()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("waited %v for a slot freed after 20 ms", d)
	}
	if o, _ := shed.InFlight(); o != 0 {
		t.Fatalf("%d slots still taken after release", o)
	}
}

func TestShedBoundedQueue(t *testing.T) {
	shed, err := NewShedder(ShedOptions{MaxInFlight: 1, MaxQueue: 1, QueueWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.1")
	release, _ := shed.Acquire(ctx, false, ip)
	defer release()
	queued := make(chan bool)
	go func() {
		_, ok := shed.Acquire(ctx, false, ip)
		queued <- ok
	}()
	deadline := time.Now().Add(time.Second)
	for shed.queued.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if _, ok := shed.Acquire(ctx, false, ip); ok {
		t.Fatal("a request past the full queue got a slot")
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("a request past the full queue waited %v; it must be shed at once", d)
	}
	if <-queued {
		t.Fatal("the queued request got a slot that was never freed")
	}
}

func TestShedPerClient(t *testing.T) {
	shed, err := NewShedder(ShedOptions{MaxInFlight: 10, MaxPerClient: 2, QueueWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	r1, _ := shed.Acquire(ctx, false, a)
	r2, _ := shed.Acquire(ctx, true, a)
	if _, ok := shed.Acquire(ctx, true, a); ok {
		t.Fatal("a third request of one client got a slot (MaxPerClient 2), critical or not")
	}
	rb, ok := shed.Acquire(ctx, false, b)
	if !ok {
		t.Fatal("another client was refused")
	}
	rb()
	r1()
	r3, ok := shed.Acquire(ctx, false, a)
	if !ok {
		t.Fatal("the client was refused after one of its requests ended")
	}
	r2()
	r3()
	if n := len(shed.clients); n != 0 {
		t.Fatalf("%d clients tracked with nothing in flight; entries must be dropped", n)
	}
}

func TestNewShedderRefusesBadOptions(t *testing.T) {
	for _, o := range []ShedOptions{{}, {MaxInFlight: -1}, {MaxInFlight: 1, QueueWait: -time.Second}, {MaxInFlight: 1, MaxPerClient: -1}} {
		if _, err := NewShedder(o); err == nil {
			t.Errorf("NewShedder(%+v) accepted", o)
		}
	}
}
