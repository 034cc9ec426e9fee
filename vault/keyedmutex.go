package vault

import (
	"context"
	"sync"
)

// keyedMutex is a set of mutexes created on demand, one per key, that a
// waiter can give up on when its context ends. The vault uses it so that
// concurrent first seals of a tenant create one data key, and concurrent
// cache misses for a data key unwrap it once.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sem  chan struct{} // holds one token while locked
	refs int           // holders and waiters; the entry goes when it drops to 0
}

// lock blocks until it holds key's mutex or ctx ends.
func (k *keyedMutex) lock(ctx context.Context, key string) (unlock func(), err error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedLock)
	}
	l, ok := k.locks[key]
	if !ok {
		l = &keyedLock{sem: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.sem <- struct{}{}:
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.sem
			release()
		})
	}, nil
}
