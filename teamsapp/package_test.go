package teamsapp

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"
)

func TestZip(t *testing.T) {
	p := buildTest(t, nil)
	var buf bytes.Buffer
	if err := p.Zip(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		t.Run(f.Name, func(t *testing.T) {
			if !f.Modified.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("modified %v, want the fixed 2020-01-01", f.Modified)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, p.Files[f.Name]) {
				t.Errorf("zip entry differs from Package.Files")
			}
		})
	}
	if want := []string{"color.png", "fr.json", "manifest.json", "outline.png"}; !slices.Equal(names, want) {
		t.Fatalf("zip entries %q, want %q at the root, sorted", names, want)
	}

	t.Run("deterministic", func(t *testing.T) {
		var again bytes.Buffer
		if err := buildTest(t, nil).Zip(&again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Error("two builds of the same configuration zip to different bytes")
		}
	})
	t.Run("configuration changes the zip", func(t *testing.T) {
		var other bytes.Buffer
		if err := buildTest(t, func(c *Config) { c.Version = "1.0.1" }).Zip(&other); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(buf.Bytes(), other.Bytes()) {
			t.Error("a new version zips to the same bytes")
		}
	})
}

type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, errDiskFull
	}
	w.n--
	return len(p), nil
}

// TestZipReportsWriteErrors fails the destination at each of its writes in
// turn: wherever the failure comes, Zip must return it.
func TestZipReportsWriteErrors(t *testing.T) {
	p := buildTest(t, nil)
	count := &failingWriter{n: 1 << 30}
	if err := p.Zip(count); err != nil {
		t.Fatal(err)
	}
	writes := 1<<30 - count.n
	if writes < 2 {
		t.Fatalf("Zip wrote in %d calls; the test needs several", writes)
	}
	for n := range writes {
		if err := p.Zip(&failingWriter{n: n}); !errors.Is(err, errDiskFull) {
			t.Errorf("failure at write %d of %d: error %v, want disk full", n+1, writes, err)
		}
	}
}
