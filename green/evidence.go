package green

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"fishpond"
	"fishpond/market"
)

// photoExt names stored evidence by sniffed type.
var photoExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

// readPhoto checks an evidence photo as product photos are checked (type sniffed
// from content, size bounded) and returns it with its type.
func readPhoto(r io.Reader) ([]byte, string, error) {
	if r == nil {
		return nil, "", fishpond.Invalid("须上传照片 a photo is required", map[string]string{"photo": "必填 required"})
	}
	return market.CheckPhoto(r)
}

// storePhoto writes a checked photo under PhotoDir/evidence by its SHA-256, before
// any row refers to it: a crash leaves an unreferenced file, never a dangling row.
func (s *Service) storePhoto(b []byte, ct string) (sum, ctype string, err error) {
	h := sha256.Sum256(b)
	sum = hex.EncodeToString(h[:])
	if s.cfg.PhotoDir == "" {
		return "", "", fishpond.Errorf(fishpond.EInternal, "green: no photo directory configured")
	}
	path := s.photoPath(sum, ct)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", "", fishpond.Internal(err)
	}
	if _, err := os.Stat(path); err == nil {
		return sum, ct, nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return "", "", fishpond.Internal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", "", fishpond.Internal(err)
	}
	return sum, ct, nil
}

func (s *Service) photoPath(sum, ctype string) string {
	return filepath.Join(s.cfg.PhotoDir, "evidence", sum[:2], sum+photoExt[ctype])
}

// distanceKm is the great-circle distance between two points (haversine). Floats
// are fine here: this is geography, not money.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// checkPlace refuses evidence taken too far from the project.
func (s *Service) checkPlace(pr Project, lat, lon float64, f map[string]string) {
	if math.IsNaN(lat) || math.IsNaN(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 || (lat == 0 && lon == 0) {
		f["location"] = "照片须带定位 the photo needs its location (latitude, longitude)"
		return
	}
	if d := distanceKm(pr.Lat, pr.Lon, lat, lon); d > s.cfg.EvidenceRadiusKm {
		f["location"] = fmt.Sprintf("拍摄地点距项目 %.1f 公里，超过 %.0f 公里 taken %.1f km from the project, more than %.0f km", d, s.cfg.EvidenceRadiusKm, d, s.cfg.EvidenceRadiusKm)
	}
}
