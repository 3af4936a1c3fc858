package report

// Rural logistics (logistics/). Sites are never closed, so the opened events are
// the stock. County warehouses append logistics.warehouse.opened, which a metric
// fed by one event type can not add in: stations_in_poverty_counties counts
// village stations only.
func init() {
	Measure("parcels_from_poverty_counties", EventMeasure{Event: "logistics.parcel.sent", PovertyOnly: true})
	Measure("stations_in_poverty_counties", EventMeasure{Event: "logistics.station.opened", Kind: Cumulative, PovertyOnly: true})
}
