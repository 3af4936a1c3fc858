package qr

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"fishpond"
)

func TestPNGValidSquareDeterministic(t *testing.T) {
	const link = "https://fishpond.example.cn/origin/B2020-0421-0007"
	for _, size := range []int{64, 256, 300, 1000} {
		a, err := PNG(link, size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		img, err := png.Decode(bytes.NewReader(a))
		if err != nil {
			t.Fatalf("size %d: not a PNG: %v", size, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Fatalf("size %d: image is %v", size, b)
		}
		assertQuietCorner(t, img)
		assertFinderPattern(t, img)
		b, _ := PNG(link, size)
		if !bytes.Equal(a, b) {
			t.Fatalf("size %d: output not deterministic", size)
		}
	}
	other, _ := PNG(link+"8", 256)
	same, _ := PNG(link, 256)
	if bytes.Equal(other, same) {
		t.Fatal("different texts gave the same image")
	}
}

// assertQuietCorner checks the top-left pixel is white (the quiet zone).
func assertQuietCorner(t *testing.T, img image.Image) {
	t.Helper()
	if r, _, _, _ := img.At(0, 0).RGBA(); r == 0 {
		t.Fatal("corner of the quiet zone is black")
	}
}

// assertFinderPattern checks that some black pixels exist: the top-left finder
// square sits just inside the quiet zone.
func assertFinderPattern(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	black := 0
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r == 0 {
				black++
			}
		}
	}
	if black == 0 || black == b.Dx()*b.Dy() {
		t.Fatalf("image has %d black pixels of %d", black, b.Dx()*b.Dy())
	}
}

func TestPNGRejects(t *testing.T) {
	cases := map[string]struct {
		text string
		size int
	}{
		"empty":          {"", 256},
		"too long":       {strings.Repeat("x", MaxTextLen+1), 4096},
		"tiny":           {"https://x.cn/o/1", 10},
		"huge":           {"https://x.cn/o/1", 100000},
		"dense for size": {strings.Repeat("字", 300), 64},
	}
	for name, c := range cases {
		if _, err := PNG(c.text, c.size); fishpond.Code(err) != fishpond.EInvalid {
			t.Errorf("%s: got %v, want invalid", name, err)
		}
	}
}
