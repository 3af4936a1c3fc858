package green

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"math"
	"testing"
	"time"
)

// exifJPEG builds a JPEG whose EXIF holds a GPS position (degrees, minutes,
// seconds, as cameras write it), the GPS time stamp and DateTimeOriginal, in the
// given byte order: what a phone camera with location on produces.
func exifJPEG(bo binary.ByteOrder, lat, lon float64, gpsTime time.Time, original string) []byte {
	var t bytes.Buffer
	if bo == binary.BigEndian {
		t.WriteString("MM\x00*")
	} else {
		t.WriteString("II*\x00")
	}
	u16 := func(v uint16) { binary.Write(&t, bo, v) }
	u32 := func(v uint32) { binary.Write(&t, bo, v) }
	entry := func(tag, typ uint16, count, val uint32) { u16(tag); u16(typ); u32(count); u32(val) }
	ascii := func(tag uint16, s string) { // up to 4 bytes inline, as cameras do for refs
		u16(tag)
		u16(2)
		u32(uint32(len(s) + 1))
		b := append([]byte(s), 0)
		for len(b) < 4 {
			b = append(b, 0)
		}
		t.Write(b[:4])
	}
	// Layout: header 8, IFD0 at 8 (2 entries), Exif IFD, GPS IFD, then data.
	const ifd0 = 8
	exifIFD := ifd0 + 2 + 2*12 + 4
	gpsIFD := exifIFD + 2 + 1*12 + 4
	data := gpsIFD + 2 + 6*12 + 4
	dtOff, latOff := data, data+20
	lonOff, timeOff, dateOff := latOff+24, latOff+48, latOff+72
	u32(ifd0)
	u16(2)
	entry(0x8769, 4, 1, uint32(exifIFD))
	entry(0x8825, 4, 1, uint32(gpsIFD))
	u32(0)
	u16(1)
	entry(0x9003, 2, 20, uint32(dtOff))
	u32(0)
	u16(6)
	ascii(1, "N")
	entry(2, 5, 3, uint32(latOff))
	ascii(3, "E")
	entry(4, 5, 3, uint32(lonOff))
	entry(7, 5, 3, uint32(timeOff))
	entry(0x1d, 2, 11, uint32(dateOff))
	u32(0)
	t.WriteString(original + "\x00")
	dms := func(v float64) {
		d := math.Floor(v)
		m := math.Floor((v - d) * 60)
		s := ((v-d)*60 - m) * 60
		u32(uint32(d))
		u32(1)
		u32(uint32(m))
		u32(1)
		u32(uint32(math.Round(s * 1000)))
		u32(1000)
	}
	dms(lat)
	dms(lon)
	u32(uint32(gpsTime.Hour()))
	u32(1)
	u32(uint32(gpsTime.Minute()))
	u32(1)
	u32(uint32(gpsTime.Second()))
	u32(1)
	t.WriteString(gpsTime.Format("2006:01:02") + "\x00")
	app1 := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var img bytes.Buffer
	jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	raw := img.Bytes()
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	out = append(out, app1...)
	return append(out, raw[2:]...)
}

func TestReadPhotoTags(t *testing.T) {
	at := time.Date(2026, 4, 10, 1, 30, 15, 0, time.UTC)
	for _, bo := range []binary.ByteOrder{binary.BigEndian, binary.LittleEndian} {
		tags := readPhotoTags(exifJPEG(bo, 38.7712, 113.9521, at, "2026:04:10 09:30:15"))
		if !tags.HasGPS || math.Abs(tags.Lat-38.7712) > 1e-5 || math.Abs(tags.Lon-113.9521) > 1e-5 || !tags.HasTime || !tags.Taken.Equal(at) {
			t.Fatalf("%v: tags = %+v", bo, tags)
		}
	}
	var plain bytes.Buffer
	jpeg.Encode(&plain, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	if tags := readPhotoTags(plain.Bytes()); tags.HasGPS || tags.HasTime {
		t.Fatalf("a photo without EXIF: %+v", tags)
	}
}

// FuzzReadPhotoTags feeds hostile bytes to the EXIF reader: it must never panic
// nor report coordinates outside the globe.
func FuzzReadPhotoTags(f *testing.F) {
	f.Add(exifJPEG(binary.BigEndian, 38.77, 113.95, time.Date(2026, 4, 10, 1, 0, 0, 0, time.UTC), "2026:04:10 09:00:00"))
	f.Add(exifJPEG(binary.LittleEndian, 35.66, 103.38, time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC), "2026:05:01 11:00:00"))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tags := readPhotoTags(b)
		if tags.HasGPS && (math.Abs(tags.Lat) > 180 || math.Abs(tags.Lon) > 180) {
			t.Fatalf("coordinates off the globe: %+v", tags)
		}
	})
}
