package teamsapp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/png"
	"testing"
)

func decodePNG(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", name, err)
	}
	return img
}

func TestColorIcon(t *testing.T) {
	p := buildTest(t, nil)
	img := decodePNG(t, ColorIcon, p.Files[ColorIcon])
	if b := img.Bounds(); b.Dx() != 192 || b.Dy() != 192 {
		t.Fatalf("color.png is %v, want 192×192", b)
	}
	var white, accent int
	for y := range 192 {
		for x := range 192 {
			r, g, b, a := img.At(x, y).RGBA()
			if a != 0xffff {
				t.Fatalf("color.png pixel (%d,%d) has alpha %#x: the colour icon must be opaque", x, y, a)
			}
			switch {
			case r == 0xffff && g == 0xffff && b == 0xffff:
				white++
			case r>>8 == 0x1f && g>>8 == 0x5f && b>>8 == 0x8b:
				accent++
			}
		}
	}
	// The glyph covers a fair share of the icon, the background the rest.
	if white < 192*192/10 || accent < 192*192/2 {
		t.Errorf("color.png has %d white and %d accent pixels: glyph or background missing", white, accent)
	}
	t.Run("accent colour paints the background", func(t *testing.T) {
		q := buildTest(t, func(c *Config) { c.AccentColor = "#C0392B" })
		r, g, b, _ := decodePNG(t, ColorIcon, q.Files[ColorIcon]).At(0, 0).RGBA()
		if r>>8 != 0xc0 || g>>8 != 0x39 || b>>8 != 0x2b {
			t.Errorf("background pixel = %02x%02x%02x, want c0392b", r>>8, g>>8, b>>8)
		}
	})
}

func TestOutlineIcon(t *testing.T) {
	p := buildTest(t, nil)
	img := decodePNG(t, OutlineIcon, p.Files[OutlineIcon])
	if b := img.Bounds(); b.Dx() != 32 || b.Dy() != 32 {
		t.Fatalf("outline.png is %v, want 32×32", b)
	}
	var white, clear int
	for y := range 32 {
		for x := range 32 {
			r, g, b, a := img.At(x, y).RGBA()
			switch {
			case a == 0:
				clear++
			case a == 0xffff && r == 0xffff && g == 0xffff && b == 0xffff:
				white++
			default:
				t.Fatalf("outline.png pixel (%d,%d) = rgba(%#x,%#x,%#x,%#x): Microsoft allows only white and fully transparent pixels", x, y, r, g, b, a)
			}
		}
	}
	if white < 32*32/4 || clear < 32*32/4 {
		t.Errorf("outline.png has %d white and %d transparent pixels: glyph or background missing", white, clear)
	}
	// The check mark is cut out of the shield: the shield's centre is clear.
	if _, _, _, a := img.At(15, 16).RGBA(); a != 0 {
		t.Error("outline.png: the check mark is not cut out of the shield")
	}
}

// TestIconsGolden pins the icons' bytes: drawing is integer-only, so any
// change is a change to the drawing (or to Go's PNG encoder; refresh with
// -update after looking at the new icons).
func TestIconsGolden(t *testing.T) {
	p := buildTest(t, nil)
	q := buildTest(t, nil)
	var sums bytes.Buffer
	for _, name := range []string{ColorIcon, OutlineIcon} {
		if !bytes.Equal(p.Files[name], q.Files[name]) {
			t.Errorf("%s differs between two builds", name)
		}
		sum := sha256.Sum256(p.Files[name])
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	golden(t, "icons.sha256", sums.Bytes())
}
