package sensing

import (
	"math"
	"math/rand/v2"
	"time"
)

// YieldTruth is the process GenerateSeasons draws from, so tests and the demo's
// backtest can compare what the model learns with what is true: kg per mu =
// 320 + 9·(T−21) + 3·(M−28) − 160·dry + field effect + noise.
var YieldTruth = struct{ Base, Temp, Moisture, Dry, FieldSD, NoiseSD float64 }{320, 9, 3, -160, 20, 14}

// GenerateSeasons draws years of seasons for each field (synthetic data for
// backtests and the demo; never shown as real).
func GenerateSeasons(seed uint64, fields int, firstYear, years int) [][]Season {
	r := rand.New(rand.NewPCG(seed, 0xf1e1d))
	out := make([][]Season, fields)
	for f := range fields {
		effect := r.NormFloat64() * YieldTruth.FieldSD
		for y := range years {
			t := 21 + r.NormFloat64()*1.5
			m := 28 + r.NormFloat64()*4
			dry := math.Min(1, math.Max(0, 0.25-0.02*(m-28)+r.NormFloat64()*0.08))
			yield := YieldTruth.Base + YieldTruth.Temp*(t-21) + YieldTruth.Moisture*(m-28) + YieldTruth.Dry*dry + effect + r.NormFloat64()*YieldTruth.NoiseSD
			out[f] = append(out[f], Season{Year: firstYear + y, MeanTemp: round2(t), MeanMoisture: round2(m), DryShare: round2(dry), YieldPerMu: round2(math.Max(50, yield))})
		}
	}
	return out
}

// MortalityTruth: deaths per 1,000 head a week = 2 + 0.05·heat hours +
// 0.12·(ammonia−10) + 0.02·(humidity−65), deaths drawn around it.
var MortalityTruth = struct{ Base, Heat, Ammonia, Humidity float64 }{2, 0.05, 0.12, 0.02}

// GenerateBarnWeeks draws weeks of conditions and deaths for each barn, the
// weeks ending before until.
func GenerateBarnWeeks(seed uint64, barns, weeks int, until time.Time) [][]BarnWeek {
	r := rand.New(rand.NewPCG(seed, 0xba4))
	out := make([][]BarnWeek, barns)
	monday := until.AddDate(0, 0, -int(until.Weekday()+6)%7)
	for b := range barns {
		head := int64(300 + r.IntN(300))
		for w := range weeks {
			start := monday.AddDate(0, 0, -7*(weeks-w))
			summer := math.Max(0, math.Sin(2*math.Pi*float64(start.YearDay()-80)/365))
			heat := math.Max(0, summer*40+r.NormFloat64()*8)
			nh3 := math.Max(2, 12+r.NormFloat64()*5)
			hum := math.Min(100, math.Max(30, 65+r.NormFloat64()*8))
			rate := MortalityTruth.Base + MortalityTruth.Heat*heat + MortalityTruth.Ammonia*(nh3-10) + MortalityTruth.Humidity*(hum-65)
			mean := math.Max(0, rate*float64(head)/1000)
			deaths := int64(math.Max(0, math.Round(mean+r.NormFloat64()*math.Sqrt(mean+0.25))))
			out[b] = append(out[b], BarnWeek{WeekStart: start.Format("2006-01-02"), Head: head, Deaths: min(deaths, head),
				HeatHours: round2(heat), MeanAmmonia: round2(nh3), MeanHumidity: round2(hum)})
		}
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
