package green

import (
	"encoding/binary"
	"math"
	"time"

	"fishpond"
)

// photoTags is what a phone camera writes into a JPEG's EXIF block that matters
// for evidence: where (GPS) and when the picture was taken.
type photoTags struct {
	HasGPS   bool
	Lat, Lon float64
	HasTime  bool
	Taken    time.Time
}

// readPhotoTags reads the GPS position and the time taken from a JPEG's EXIF
// (APP1) segment. It never panics on hostile input and returns what it could read;
// a photo without EXIF gives zero tags. The time is the GPS time stamp (UTC) when
// present, else DateTimeOriginal, which cameras write in local time — China time
// for these projects.
func readPhotoTags(b []byte) photoTags {
	var t photoTags
	tiff := exifBlock(b)
	if len(tiff) < 8 {
		return t
	}
	var bo binary.ByteOrder
	switch string(tiff[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return t
	}
	ifd0 := readIFD(tiff, bo, int(bo.Uint32(tiff[4:8])))
	if off, ok := ifd0[0x8769]; ok { // Exif IFD
		exif := readIFD(tiff, bo, int(off.value(bo)))
		if e, ok := exif[0x9003]; ok { // DateTimeOriginal
			if tm, err := time.ParseInLocation("2006:01:02 15:04:05", e.ascii(tiff, bo), fishpond.ChinaTime); err == nil {
				t.HasTime, t.Taken = true, tm.UTC()
			}
		}
	}
	off, ok := ifd0[0x8825] // GPS IFD
	if !ok {
		return t
	}
	gps := readIFD(tiff, bo, int(off.value(bo)))
	lat, okLat := gps[2].degrees(tiff, bo)
	lon, okLon := gps[4].degrees(tiff, bo)
	if okLat && okLon {
		if gps[1].ascii(tiff, bo) == "S" {
			lat = -lat
		}
		if gps[3].ascii(tiff, bo) == "W" {
			lon = -lon
		}
		t.HasGPS, t.Lat, t.Lon = true, lat, lon
	}
	hms, okT := gps[7].rationals(tiff, bo, 3)
	if d, err := time.Parse("2006:01:02", gps[0x1d].ascii(tiff, bo)); err == nil && okT {
		secs := hms[0]*3600 + hms[1]*60 + hms[2]
		if secs >= 0 && secs < 86400 {
			t.HasTime, t.Taken = true, d.Add(time.Duration(secs*float64(time.Second))).UTC()
		}
	}
	return t
}

// exifBlock finds the TIFF structure inside the first APP1 "Exif" segment.
func exifBlock(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return nil
		}
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // image data or end: no EXIF before it
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		if n < 2 || i+2+n > len(b) {
			return nil
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// ifdEntry is one tag of an image file directory.
type ifdEntry struct {
	typ   uint16
	count uint32
	raw   [4]byte // the value, or the offset of the value when larger than 4 bytes
}

func (e ifdEntry) value(bo binary.ByteOrder) uint32 { return bo.Uint32(e.raw[:]) }

func readIFD(tiff []byte, bo binary.ByteOrder, off int) map[uint16]ifdEntry {
	out := map[uint16]ifdEntry{}
	if off < 8 || off+2 > len(tiff) {
		return out
	}
	n := int(bo.Uint16(tiff[off:]))
	for i := 0; i < n && i < 256; i++ {
		p := off + 2 + 12*i
		if p+12 > len(tiff) {
			break
		}
		var e ifdEntry
		e.typ, e.count = bo.Uint16(tiff[p+2:]), bo.Uint32(tiff[p+4:])
		copy(e.raw[:], tiff[p+8:p+12])
		out[bo.Uint16(tiff[p:])] = e
	}
	return out
}

// ascii reads an ASCII value (type 2) without its terminating NUL.
func (e ifdEntry) ascii(tiff []byte, bo binary.ByteOrder) string {
	if e.typ != 2 || e.count == 0 || e.count > 64 {
		return ""
	}
	var s []byte
	if e.count <= 4 {
		s = e.raw[:e.count]
	} else {
		off := int(e.value(bo))
		if off < 0 || off+int(e.count) > len(tiff) {
			return ""
		}
		s = tiff[off : off+int(e.count)]
	}
	for len(s) > 0 && s[len(s)-1] == 0 {
		s = s[:len(s)-1]
	}
	return string(s)
}

// rationals reads n unsigned rationals (type 5).
func (e ifdEntry) rationals(tiff []byte, bo binary.ByteOrder, n int) ([]float64, bool) {
	if e.typ != 5 || int(e.count) != n {
		return nil, false
	}
	off := int(e.value(bo))
	if off < 0 || off+8*n > len(tiff) {
		return nil, false
	}
	out := make([]float64, n)
	for i := range out {
		num, den := bo.Uint32(tiff[off+8*i:]), bo.Uint32(tiff[off+8*i+4:])
		if den == 0 {
			return nil, false
		}
		out[i] = float64(num) / float64(den)
	}
	return out, true
}

// degrees reads a GPS coordinate written as degrees, minutes, seconds.
func (e ifdEntry) degrees(tiff []byte, bo binary.ByteOrder) (float64, bool) {
	dms, ok := e.rationals(tiff, bo, 3)
	if !ok {
		return 0, false
	}
	v := dms[0] + dms[1]/60 + dms[2]/3600
	if math.IsNaN(v) || v > 180 {
		return 0, false
	}
	return v, true
}
