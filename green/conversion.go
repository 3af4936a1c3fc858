package green

import "slices"

// Action kinds. The first three are recorded by the platform itself (from market
// order events, and from logistics once village stations report pickups); the
// others come from partners through the API.
const (
	KindConsolidated    = "consolidated_shipping" // per parcel avoided
	KindEReceipt        = "e_receipt"             // per paper receipt avoided
	KindStationPickup   = "station_pickup"        // per parcel picked up at a village station
	KindWalking         = "walking"               // per step
	KindPublicTransport = "public_transport"      // per ride
)

// Conversion is one published row of the conversion table: Grams of energy for
// every PerUnits units of the action (integer arithmetic, rounded down), at most
// DailyCap grams per user and China day.
type Conversion struct {
	Kind     string
	Unit     string // what quantity counts
	Grams    int64
	PerUnits int64
	DailyCap int64
	// Partner reports whether partners may report the action through the API;
	// platform actions are recorded only by the platform.
	Partner bool
	Label   string // "中文 / English"
}

// Conversions is the published conversion table. The figures follow the carbon
// accounting the programme published for its energy game (a bus ride 80 g, a paper
// receipt 5 g, walking about 1 g per 100 steps); the caps keep one user's day
// within what a person plausibly does.
var Conversions = []Conversion{
	{KindConsolidated, "parcel", 30, 1, 300, false, "合并发货 / consolidated shipping"},
	{KindEReceipt, "receipt", 5, 1, 50, false, "电子小票 / electronic receipt"},
	{KindStationPickup, "parcel", 20, 1, 200, true, "村级站点自提 / pickup at a village station"},
	{KindWalking, "step", 1, 100, 296, true, "步行 / walking"},
	{KindPublicTransport, "ride", 80, 1, 400, true, "公共交通 / public transport"},
}

// ConversionOf returns the table row of kind.
func ConversionOf(kind string) (Conversion, bool) {
	i := slices.IndexFunc(Conversions, func(c Conversion) bool { return c.Kind == kind })
	if i < 0 {
		return Conversion{}, false
	}
	return Conversions[i], true
}

// gramsFor converts a quantity before the cap. Quantities are bounded by
// maxQuantity, so the product cannot overflow.
func (c Conversion) gramsFor(qty int64) int64 { return qty * c.Grams / c.PerUnits }
