package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not enforced on Windows")
	}
}

func readKeyringJSON(t *testing.T, path string) keyringFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var kf keyringFile
	if err := json.Unmarshal(data, &kf); err != nil {
		t.Fatal(err)
	}
	return kf
}

func TestOpenKeyringCreatesPrivateFile(t *testing.T) {
	skipOnWindows(t)
	dir := filepath.Join(t.TempDir(), "state", "steward")
	path := filepath.Join(dir, "keyring.json")
	k, err := OpenKeyring(path, true)
	if err != nil {
		t.Fatal(err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("file mode = %04o, want 0600", got)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("dir mode = %04o, want 0700", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	kf := readKeyringJSON(t, path)
	if len(kf.Keys) != 1 || !kf.Keys[0].Active {
		t.Fatalf("want one active key, got %v", kf.Keys)
	}
	e := kf.Keys[0]
	if !regexp.MustCompile(`^kek-\d{8}T\d{6}-[0-9a-f]{6}$`).MatchString(e.ID) {
		t.Errorf("id %q does not look like kek-<yyyymmddThhmmss>-<6 hex>", e.ID)
	}
	if raw, err := base64.StdEncoding.DecodeString(e.Key); err != nil || len(raw) != 32 {
		t.Errorf("key is not base64 of 32 bytes (err %v, %d bytes)", err, len(raw))
	}
	if id, _ := k.ActiveKEKID(context.Background()); id != e.ID {
		t.Errorf("ActiveKEKID = %q, want %q", id, e.ID)
	}

	// Opening again reads the same file rather than creating a new key.
	k2, err := OpenKeyring(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := k2.ActiveKEKID(context.Background()); id != e.ID {
		t.Errorf("reopened ActiveKEKID = %q, want %q", id, e.ID)
	}
}

func TestOpenKeyringMissingWithoutCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	_, err := OpenKeyring(path, false)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want not-exist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenKeyring(create=false) created the file")
	}
}

func TestOpenKeyringRefuses(t *testing.T) {
	skipOnWindows(t)
	key := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	entry := func(id string, active bool) string {
		return fmt.Sprintf(`{"id": %q, "created_at": "2025-01-01T00:00:00Z", "key": %q, "active": %t}`, id, key(32), active)
	}
	good := `{"keys": [` + entry("kek-a", true) + `]}`

	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    []string // fragments the error must contain
	}{
		{"group and other readable", good, 0o644, []string{"0644", "chmod 600", "PATH"}},
		{"group readable", good, 0o640, []string{"0640", "chmod 600"}},
		{"other writable", good, 0o602, []string{"0602", "chmod 600"}},
		{"two active keys", `{"keys": [` + entry("kek-a", true) + `,` + entry("kek-b", true) + `]}`, 0o600, []string{"2 active keys", "kek-a, kek-b", "exactly one"}},
		{"no active key", `{"keys": [` + entry("kek-a", false) + `]}`, 0o600, []string{"no active key"}},
		{"no keys", `{"keys": []}`, 0o600, []string{"no keys"}},
		{"bad base64", `{"keys": [{"id": "kek-a", "created_at": "2025-01-01T00:00:00Z", "key": "not*base64!", "active": true}]}`, 0o600, []string{"kek-a", "base64"}},
		{"short key", `{"keys": [{"id": "kek-a", "created_at": "2025-01-01T00:00:00Z", "key": "` + key(16) + `", "active": true}]}`, 0o600, []string{"kek-a", "16 bytes", "want 32"}},
		{"long key", `{"keys": [{"id": "kek-a", "created_at": "2025-01-01T00:00:00Z", "key": "` + key(33) + `", "active": true}]}`, 0o600, []string{"33 bytes"}},
		{"duplicate id", `{"keys": [` + entry("kek-a", true) + `,` + entry("kek-a", false) + `]}`, 0o600, []string{"kek-a", "more than once"}},
		{"bad created_at", `{"keys": [{"id": "kek-a", "created_at": "yesterday", "key": "` + key(32) + `", "active": true}]}`, 0o600, []string{"RFC 3339"}},
		{"bad id", `{"keys": [` + entry("kek a", true) + `]}`, 0o600, []string{"id \"kek a\" is invalid"}},
		{"unknown field", `{"keys": [` + entry("kek-a", true) + `], "extra": 1}`, 0o600, []string{"not valid keyring JSON"}},
		{"not json", `keys: []`, 0o600, []string{"not valid keyring JSON"}},
		{"trailing data", good + `{}`, 0o600, []string{"after the JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keyring.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			for _, create := range []bool{false, true} {
				_, err := OpenKeyring(path, create)
				if err == nil {
					t.Fatalf("OpenKeyring(create=%t) accepted the file", create)
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, "vault: ") {
					t.Errorf("error %q lacks the vault: prefix", msg)
				}
				for _, w := range tt.want {
					w = strings.ReplaceAll(w, "PATH", path)
					if !strings.Contains(msg, w) {
						t.Errorf("error %q does not contain %q", msg, w)
					}
				}
				if strings.Contains(msg, key(32)) {
					t.Errorf("error %q reveals key material", msg)
				}
			}
		})
	}

	t.Run("valid file opens", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "keyring.json")
		if err := os.WriteFile(path, []byte(good), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenKeyring(path, false); err != nil {
			t.Fatal(err)
		}
	})
}

func TestKeyringWrapUnwrap(t *testing.T) {
	ctx := context.Background()
	k := newTestKeyring(t)
	dek := bytes.Repeat([]byte{0xAB}, 32)

	kekID, wrapped, err := k.Wrap(ctx, dek)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(wrapped, dek) || bytes.Contains(wrapped, dek[:16]) {
		t.Fatal("the wrapped key contains the plaintext key")
	}
	if len(wrapped) != 12+32+16 {
		t.Errorf("wrapped length = %d, want nonce+key+tag = 60", len(wrapped))
	}
	_, wrapped2, _ := k.Wrap(ctx, dek)
	if bytes.Equal(wrapped, wrapped2) {
		t.Error("two wraps of one key are identical: the nonce is not random")
	}
	got, err := k.Unwrap(ctx, kekID, wrapped)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unwrap = %x, %v", got, err)
	}

	newID, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kekID   string
		wrapped []byte
	}{
		{"flipped bit", kekID, flip(wrapped, 20)},
		{"flipped nonce", kekID, flip(wrapped, 0)},
		{"truncated", kekID, wrapped[:len(wrapped)-1]},
		{"too short", kekID, wrapped[:10]},
		{"empty", kekID, nil},
		{"other KEK id", newID, wrapped},
		{"unknown KEK id", "kek-nope", wrapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Unwrap(ctx, tt.kekID, tt.wrapped); err == nil {
				t.Fatal("Unwrap succeeded")
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func TestKeyringRotateAndReloadAcrossProcesses(t *testing.T) {
	skipOnWindows(t)
	ctx := context.Background()
	server := newTestKeyring(t)
	path := server.Path()
	oldID, _ := server.ActiveKEKID(ctx)
	dek := bytes.Repeat([]byte{0x42}, 32)
	_, wrappedOld, err := server.Wrap(ctx, dek)
	if err != nil {
		t.Fatal(err)
	}

	// `steward keys rotate` runs in another process: another instance.
	cli, err := OpenKeyring(path, false)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if newID == oldID {
		t.Fatal("Rotate returned the old id")
	}
	kf := readKeyringJSON(t, path)
	if len(kf.Keys) != 2 || kf.Keys[0].ID != oldID || kf.Keys[0].Active || kf.Keys[1].ID != newID || !kf.Keys[1].Active {
		t.Fatalf("after rotate the file holds %v, want old inactive then new active", kf.Keys)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rotate = %04o", fi.Mode().Perm())
	}
	gotID, wrappedNew, err := cli.Wrap(ctx, dek)
	if err != nil || gotID != newID {
		t.Fatalf("Wrap after Rotate used %q (%v), want %q", gotID, err, newID)
	}

	// The running server has never seen the new KEK: Unwrap re-reads the file.
	if got := server.KEKIDs(); len(got) != 1 {
		t.Fatalf("server already knows %v", got)
	}
	got, err := server.Unwrap(ctx, newID, wrappedNew)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("server Unwrap with the new KEK = %v", err)
	}
	// Old data keys still unwrap until they are re-wrapped.
	if got, err := server.Unwrap(ctx, oldID, wrappedOld); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unwrap with the old KEK after rotation: %v", err)
	}
	if id, _ := server.ActiveKEKID(ctx); id != newID {
		t.Errorf("server ActiveKEKID = %q, want %q", id, newID)
	}
}

func TestKeyringWrapFollowsRotationByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	server := newTestKeyring(t)
	cli, err := OpenKeyring(server.Path(), false)
	if err != nil {
		t.Fatal(err)
	}
	newID, err := cli.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := server.Wrap(ctx, make([]byte, 32))
	if err != nil || id != newID {
		t.Fatalf("server Wrap used %q (%v), want the rotated KEK %q", id, err, newID)
	}
}

func TestKeyringRefusesToWrapWhenFileIsGone(t *testing.T) {
	ctx := context.Background()
	k := newTestKeyring(t)
	if err := os.Remove(k.Path()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.Wrap(ctx, make([]byte, 32)); err == nil {
		t.Fatal("Wrap succeeded with a KEK that is no longer on disk")
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	ctx := context.Background()
	k := newTestKeyring(t)
	other, err := OpenKeyring(k.Path(), false)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range 8 {
		wg.Go(func() {
			dek := bytes.Repeat([]byte{byte(i)}, 32)
			for range 20 {
				id, w, err := k.Wrap(ctx, dek)
				if err != nil {
					errs <- err
					return
				}
				got, err := other.Unwrap(ctx, id, w)
				if err != nil || !bytes.Equal(got, dek) {
					errs <- fmt.Errorf("unwrap: %v", err)
					return
				}
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			if _, err := other.Rotate(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Concurrent rotations lose no KEK.
	if n := len(readKeyringJSON(t, k.Path()).Keys); n != 4 {
		t.Errorf("keyring holds %d keys after 3 rotations, want 4", n)
	}
}

func TestKeyringDoesNotPrintKeys(t *testing.T) {
	k := newTestKeyring(t)
	if _, err := k.Rotate(); err != nil {
		t.Fatal(err)
	}
	kf := readKeyringJSON(t, k.Path())
	var secrets []string
	for _, e := range kf.Keys {
		raw, _ := base64.StdEncoding.DecodeString(e.Key)
		secrets = append(secrets, e.Key, hex.EncodeToString(raw), string(raw), fmt.Sprint(raw))
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, val := range []any{k, kf, kf.Keys[0]} {
			out := fmt.Sprintf(verb, val)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("fmt %s of %T reveals key material: %s", verb, val, out)
				}
			}
		}
	}
	if out := fmt.Sprint(k); !strings.Contains(out, "vault.Keyring") {
		t.Errorf("String() = %q, want a description", out)
	}
}
