package market

import (
	"testing"
	"time"

	"fishpond"
)

// TestHarvestTodayInChinaIsNotInTheFuture: at 00:30 in China (16:30 UTC the day
// before), a harvest dated today in China is accepted and tomorrow is refused.
func TestHarvestTodayInChinaIsNotInTheFuture(t *testing.T) {
	now := time.Date(2026, 11, 23, 16, 30, 0, 0, time.UTC).In(fishpond.ChinaTime)
	in := ProductInput{HarvestDate: now.Format("2006-01-02")}
	if f := in.validate(0, now); f["harvest_date"] != "" {
		t.Fatalf("today in China refused: %s", f["harvest_date"])
	}
	in.HarvestDate = now.AddDate(0, 0, 1).Format("2006-01-02")
	if f := in.validate(0, now); f["harvest_date"] == "" {
		t.Fatal("tomorrow accepted")
	}
}
