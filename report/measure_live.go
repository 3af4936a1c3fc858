package report

// Live selling (live/): sessions, their sales, and certified farmer anchors.
//
// live_counties and live_provinces read live.session.started rather than
// live.session.ended: the consumer keeps one counter per event type and field, and
// every measure of the same event and field adds to it, so a count shared by a
// Total and another measure would be counted twice. Counties and provinces only
// test for a positive counter, so the two may share live.session.started's.
// farmer_anchors_growth_3m_bp stays unmeasured for the same reason (it would share
// live.anchor.certified's counter with farmer_anchors and double it).
func init() {
	Measure("live_sessions", EventMeasure{Event: "live.session.ended"})
	Measure("live_gmv_fen", EventMeasure{Event: "live.session.ended", Field: "gmv_fen"})
	Measure("live_counties", EventMeasure{Event: "live.session.started", Kind: CountiesWith})
	Measure("live_provinces", EventMeasure{Event: "live.session.started", Kind: ProvincesWith})
	Measure("farmer_anchors", EventMeasure{Event: "live.anchor.certified", Kind: Cumulative})
	// Reads the same counter as farmer_anchors: the consumer adds it once per event.
	Measure("farmer_anchors_growth_3m_bp", EventMeasure{Event: "live.anchor.certified", Kind: Growth3M})
}
