//go:build ignore

// mkicon draws assets/icon.png: a white envelope on a blue rounded square with a small
// amber "saved" badge. It is code rather than a drawing so that anyone can change the
// colours or size without an image editor. Run: go run mkicon.go (from assets/).
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
)

const (
	size = 512
	ss   = 4 // supersampling factor for smooth edges
)

type shape func(x, y float64) bool

func roundRect(x0, y0, x1, y1, r float64) shape {
	return func(x, y float64) bool {
		if x < x0 || x > x1 || y < y0 || y > y1 {
			return false
		}
		cx := math.Max(x0+r, math.Min(x, x1-r))
		cy := math.Max(y0+r, math.Min(y, y1-r))
		return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r
	}
}

func circle(cx, cy, r float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r }
}

// segment is a thick line from (ax,ay) to (bx,by) with round caps.
func segment(ax, ay, bx, by, w float64) shape {
	return func(x, y float64) bool {
		dx, dy := bx-ax, by-ay
		t := ((x-ax)*dx + (y-ay)*dy) / (dx*dx + dy*dy)
		t = math.Max(0, math.Min(1, t))
		px, py := ax+t*dx-x, ay+t*dy-y
		return px*px+py*py <= w*w/4
	}
}

func union(s ...shape) shape {
	return func(x, y float64) bool {
		for _, f := range s {
			if f(x, y) {
				return true
			}
		}
		return false
	}
}

type layer struct {
	s shape
	c func(x, y float64) color.NRGBA
}

func solid(c color.NRGBA) func(x, y float64) color.NRGBA {
	return func(float64, float64) color.NRGBA { return c }
}

func main() {
	blueTop := color.NRGBA{0x2f, 0x80, 0xed, 0xff}
	blueBottom := color.NRGBA{0x1a, 0x4f, 0xa8, 0xff}
	gradient := func(_, y float64) color.NRGBA {
		t := y / size
		mix := func(a, b uint8) uint8 { return uint8(float64(a)*(1-t) + float64(b)*t) }
		return color.NRGBA{mix(blueTop.R, blueBottom.R), mix(blueTop.G, blueBottom.G), mix(blueTop.B, blueBottom.B), 0xff}
	}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	flap := color.NRGBA{0xc9, 0xd8, 0xf2, 0xff}
	amber := color.NRGBA{0xf5, 0xa6, 0x23, 0xff}

	layers := []layer{
		{roundRect(24, 24, 488, 488, 96), gradient},
		{roundRect(96, 150, 416, 370, 28), solid(white)},
		{union(segment(112, 170, 256, 282, 22), segment(400, 170, 256, 282, 22)), solid(flap)},
		{circle(380, 356, 78), solid(white)},
		{circle(380, 356, 64), solid(amber)},
		{union(segment(380, 318, 380, 388, 20), segment(350, 362, 380, 392, 20), segment(410, 362, 380, 392, 20)), solid(white)},
	}

	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					x := float64(px) + (float64(sx)+0.5)/ss
					y := float64(py) + (float64(sy)+0.5)/ss
					var c color.NRGBA
					for _, l := range layers {
						if l.s(x, y) {
							c = l.c(x, y)
						}
					}
					af := float64(c.A) / 255
					r += float64(c.R) * af
					g += float64(c.G) * af
					b += float64(c.B) * af
					a += af
				}
			}
			n := float64(ss * ss)
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / n)})
			}
		}
	}
	f, err := os.Create("icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
