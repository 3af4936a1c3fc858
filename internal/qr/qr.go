// Package qr draws QR codes as PNG images, so that every product batch can carry a
// printed traceability code that a buyer's phone camera opens as the batch's public
// origin page. It wraps rsc.io/qr (small, BSD) and owns only the image layout.
package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"fishpond"

	rscqr "rsc.io/qr"
)

// MaxTextLen bounds the encoded text: a traceability link is a short URL, and longer
// text gives dense codes that cheap phone cameras misread on a printed label.
const MaxTextLen = 1024

// MinSize and MaxSize bound the image width in pixels: smaller images cannot hold
// one pixel per module; larger ones are a waste of memory for a label.
const (
	MinSize = 64
	MaxSize = 4096
)

// PNG encodes text as a square size×size PNG with medium error correction (level M,
// survives a scratched or folded label) and the standard four-module quiet zone.
// The output is deterministic: the same text and size give the same bytes, so images
// can be cached and compared.
func PNG(text string, size int) ([]byte, error) {
	switch {
	case text == "":
		return nil, fishpond.Invalid("nothing to encode in the QR code", map[string]string{"text": "required"})
	case len(text) > MaxTextLen:
		return nil, fishpond.Invalid("text too long for a QR label", map[string]string{"text": "at most 1024 bytes"})
	case size < MinSize || size > MaxSize:
		return nil, fishpond.Invalid("QR image size out of range", map[string]string{"size": "between 64 and 4096 pixels"})
	}
	code, err := rscqr.Encode(text, rscqr.M)
	if err != nil {
		return nil, fishpond.Invalid("text cannot be encoded as a QR code", map[string]string{"text": err.Error()})
	}
	modules := code.Size + 8 // four quiet modules each side
	scale := size / modules
	if scale < 1 {
		return nil, fishpond.Invalid("QR image too small for this text", map[string]string{"size": "too small for the text"})
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	offset := (size - code.Size*scale) / 2
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				row := img.Pix[(offset+y*scale+dy)*img.Stride:]
				for dx := 0; dx < scale; dx++ {
					row[offset+x*scale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fishpond.Internal(err)
	}
	return buf.Bytes(), nil
}
