//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package vault

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockWait bounds how long a writer waits for another process's rotation.
const lockWait = 10 * time.Second

// lockKeyring takes an exclusive advisory lock on "<path>.lock" so two
// processes writing the keyring at once cannot lose each other's KEK. The
// kernel drops the lock if the process dies; the lock file itself stays.
func lockKeyring(path string) (unlock func(), err error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock keyring: %w", err)
	}
	fd := int(f.Fd())
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("lock keyring %s: %w", name, err)
		}
		if time.Now().After(deadline) {
			_ = f.Close()
			return nil, fmt.Errorf("lock keyring: another process has held %s for more than %s; retry when its key rotation is done", name, lockWait)
		}
		time.Sleep(25 * time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(fd, syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
