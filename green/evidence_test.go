package green_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"fishpond"
	"fishpond/green"
	"fishpond/internal/db"
	"fishpond/internal/dbtest"
)

// TestEvidenceFromPhotoTags: a photo that records its own GPS position and time
// is the evidence; a report that contradicts it is refused, and one far from the
// project is refused whichever source it comes from.
func TestEvidenceFromPhotoTags(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := mustFixture(t, d)
		pr := mustProject(t, f, green.ProjectTree, 10)
		job, err := f.g.AssignJob(ctx, officer, pr.ID, f.hh[2].ID, green.JobGuarding)
		if err != nil {
			t.Fatal(err)
		}
		me := householdP(f.hh[2].ID)
		shot := t0.Add(-2 * time.Hour) // 08:00 in China on the work day
		near := green.ExifJPEG(binary.BigEndian, 38.7750, 113.9550, shot, "2026:04:10 08:00:00")
		submit := func(photo []byte, lat, lon float64, taken time.Time, key string) (green.Work, error) {
			return f.g.SubmitWork(ctx, me, green.WorkInput{JobID: job.ID, Date: "2026-04-10", Quantity: 1, Lat: lat, Lon: lon, TakenAt: taken,
				Photo: bytes.NewReader(photo), Key: key})
		}
		w, err := submit(near, 0, 0, time.Time{}, "tags-only")
		if err != nil || w.GeoSource != "exif" || w.Lat != 38.775 || !w.TakenAt.Equal(shot) {
			t.Fatalf("report from the photo's tags = %+v, %v", w, err)
		}
		if _, err := submit(near, 38.9, 114.3, shot, "moved"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("a location contradicting the photo: %v", err)
		}
		if _, err := submit(near, 38.7750, 113.9550, shot.Add(5*time.Hour), "later"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("a time contradicting the photo: %v", err)
		}
		far := green.ExifJPEG(binary.LittleEndian, 39.9042, 116.4074, shot, "2026:04:10 08:00:00") // Beijing
		if _, err := submit(far, 0, 0, time.Time{}, "beijing"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("a photo taken in Beijing: %v", err)
		}
		if _, err := submit(jpegPhoto(t), 0, 0, shot, "no-location"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("neither the photo nor the phone gives a location: %v", err)
		}
		if _, err := submit([]byte("GIF89a not a jpeg"), 38.7750, 113.9550, shot, "gif"); fishpond.Code(err) != fishpond.EInvalid {
			t.Fatalf("not a photo: %v", err)
		}
	})
}
