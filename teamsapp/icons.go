package teamsapp

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
)

// Icon sizes Microsoft requires: a full-colour 192×192 icon and a 32×32
// outline icon of white on transparent.
const (
	ColorIconSize   = 192
	OutlineIconSize = 32
)

// shield is Steward's glyph: a shield with a check mark cut out of it. All
// lengths are in half pixels and every test is integer arithmetic, so the
// pixels (and the PNG bytes) are the same on every platform: floating point
// could differ where the compiler fuses multiply-adds.
type shield struct {
	cx, halfWidth int // centre line and half width of the shield's body
	top, dip      int // top edge at the corners, and how far its middle sags
	mid, bottom   int // where the sides start curving in, and the point
	check         [3]point
	stroke        int // half thickness of the check mark
}

type point struct{ x, y int }

var (
	colorShield = shield{cx: 192, halfWidth: 104, top: 72, dip: 12, mid: 196, bottom: 318,
		check: [3]point{{148, 196}, {180, 232}, {242, 158}}, stroke: 16}
	outlineShield = shield{cx: 32, halfWidth: 24, top: 4, dip: 2, mid: 28, bottom: 60,
		check: [3]point{{19, 31}, {28, 40}, {44, 22}}, stroke: 3}
)

// covers reports whether the sample at (x, y), in units of 1/(2·s) pixel,
// lies on the glyph: inside the shield and outside the check mark.
func (g shield) covers(x, y, s int) bool {
	k := int64(s)
	X, Y := int64(x), int64(y)
	cx, hw := int64(g.cx)*k, int64(g.halfWidth)*k
	top, dip, mid, bottom := int64(g.top)*k, int64(g.dip)*k, int64(g.mid)*k, int64(g.bottom)*k
	dx := X - cx
	if dx < 0 {
		dx = -dx
	}
	if dx > hw || Y > bottom {
		return false
	}
	// The top edge sags in a parabola: y ≥ top + dip·(1 − (dx/hw)²).
	if Y*hw*hw < top*hw*hw+dip*(hw*hw-dx*dx) {
		return false
	}
	// Below mid the sides close in a parabola to the point:
	// dx ≤ hw·(1 − ((y−mid)/(bottom−mid))²).
	if Y > mid {
		l, t := bottom-mid, Y-mid
		if dx*l*l > hw*(l*l-t*t) {
			return false
		}
	}
	r := int64(g.stroke) * k
	for i := 0; i+1 < len(g.check); i++ {
		a := point{g.check[i].x * s, g.check[i].y * s}
		b := point{g.check[i+1].x * s, g.check[i+1].y * s}
		if nearSegment(X, Y, a, b, r) {
			return false
		}
	}
	return true
}

// nearSegment reports whether (x, y) is within r of the segment a–b.
func nearSegment(x, y int64, a, b point, r int64) bool {
	ax, ay, bx, by := int64(a.x), int64(a.y), int64(b.x), int64(b.y)
	dx, dy := bx-ax, by-ay
	px, py := x-ax, y-ay
	dot, l2 := px*dx+py*dy, dx*dx+dy*dy
	switch {
	case dot <= 0:
		return px*px+py*py <= r*r
	case dot >= l2:
		qx, qy := x-bx, y-by
		return qx*qx+qy*qy <= r*r
	default:
		// Squared distance to the line is |p|² − dot²/l2.
		return (px*px+py*py)*l2-dot*dot <= r*r*l2
	}
}

// mask renders the glyph at size×size pixels with samples×samples samples
// per pixel; the alpha of each pixel is the share of samples covered.
func (g shield) mask(size, samples int) *image.Alpha {
	m := image.NewAlpha(image.Rect(0, 0, size, size))
	n := samples * samples
	for py := range size {
		for px := range size {
			covered := 0
			for sy := range samples {
				for sx := range samples {
					if g.covers(2*(px*samples+sx)+1, 2*(py*samples+sy)+1, samples) {
						covered++
					}
				}
			}
			m.SetAlpha(px, py, color.Alpha{A: uint8((covered*255 + n/2) / n)})
		}
	}
	return m
}

// colorIcon draws the white glyph, anti-aliased, on an opaque accent
// background that fills the whole square, as Teams shows it.
func colorIcon(accent color.RGBA) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, ColorIconSize, ColorIconSize))
	draw.Draw(img, img.Bounds(), image.NewUniform(accent), image.Point{}, draw.Src)
	draw.DrawMask(img, img.Bounds(), image.White, image.Point{}, colorShield.mask(ColorIconSize, 4), image.Point{}, draw.Over)
	return encodePNG(img)
}

// outlineIcon draws the glyph in white on transparent without
// anti-aliasing: Microsoft accepts only white and fully transparent pixels.
func outlineIcon() ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, OutlineIconSize, OutlineIconSize))
	draw.DrawMask(img, img.Bounds(), image.White, image.Point{}, outlineShield.mask(OutlineIconSize, 1), image.Point{}, draw.Over)
	return encodePNG(img)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("teamsapp: encode icon: %w", err)
	}
	return buf.Bytes(), nil
}

// parseHexColor reads #RRGGBB, already checked by resolve.
func parseHexColor(s string) color.RGBA {
	var c color.RGBA
	_, _ = fmt.Sscanf(s, "#%02x%02x%02x", &c.R, &c.G, &c.B)
	c.A = 0xff
	return c
}
