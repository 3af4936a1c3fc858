package report

// Metric is one headline figure of the half-year report, defined once here: the
// HTML page, the exports, the open-data API and the docs all read this list.
type Metric struct {
	// ID is stable: the JSON output, the CSV/XLSX columns and the open-data API use
	// it, so it never changes once published.
	ID         string
	Capability string // the part of Fishpond whose data it counts
	NameZh     string
	NameEn     string
	Unit       string // fen, count, households, people, bp, hours, counties, provinces, products
	DefZh      string // definition, as published in the methodology notes
	DefEn      string
	Source     string // where the figure comes from, for the methodology notes
	// Planned is how a metric of a capability not yet built is meant to be
	// measured (documentation only: Measure makes it real).
	Planned *EventMeasure

	builtin func(c *calc) Value
}

// Units.
const (
	UnitFen        = "fen"
	UnitCount      = "count"
	UnitHouseholds = "households"
	UnitPeople     = "people"
	UnitBp         = "bp"
	UnitHours      = "hours"
	UnitCounties   = "counties"
	UnitProvinces  = "provinces"
	UnitProducts   = "products"
)

func planned(event, field string, kind Kind, poverty bool) *EventMeasure {
	return &EventMeasure{Event: event, Field: field, Kind: kind, PovertyOnly: poverty}
}

// Catalogue is every headline metric in publication order.
var Catalogue = []*Metric{
	{ID: "poverty_county_gmv_fen", Capability: "market", NameZh: "贫困县网络销售额", NameEn: "Online sales of national poverty counties", Unit: UnitFen,
		DefZh:  "报告期内付款的订单金额之和（按店铺所在县计，店铺位于832个国家级贫困县；含此后退款的订单，退款另列）。",
		DefEn:  "Sum of the totals of orders paid in the period by shops in the 832 national poverty counties (gross: refunds are reported separately).",
		Source: "order.paid events; rebuilt from market_orders (paid_at, total) and market_shops.county_code", builtin: gmv},
	{ID: "poverty_counties_with_sales", Capability: "market", NameZh: "有网络销售的贫困县", NameEn: "Poverty counties with online sales", Unit: UnitCounties,
		DefZh: "报告期内至少有一笔付款订单的国家级贫困县个数。", DefEn: "National poverty counties with at least one order paid in the period.",
		Source: "order.paid events; rebuilt from market_orders and market_shops", builtin: countiesWithSales},
	{ID: "poverty_county_orders", Capability: "market", NameZh: "贫困县订单数", NameEn: "Orders from poverty counties", Unit: UnitCount,
		DefZh: "报告期内贫困县店铺的付款订单笔数。", DefEn: "Orders paid in the period to shops in national poverty counties.",
		Source: "order.paid events; rebuilt from market_orders", builtin: orders},
	{ID: "poverty_county_refunds_fen", Capability: "market", NameZh: "贫困县订单退款", NameEn: "Refunds on poverty-county orders", Unit: UnitFen,
		DefZh: "报告期内向买家退回的金额（按退款发生时间计）。", DefEn: "Money refunded to buyers in the period by shops in national poverty counties, counted when refunded.",
		Source: "order.refunded events; rebuilt from market_refunds", builtin: refunds},
	{ID: "agri_sales_yoy_bp", Capability: "market", NameZh: "农产品销售额同比增长", NameEn: "Agricultural sales growth, year on year", Unit: UnitBp,
		DefZh:  "全部农产品订单行金额与上年同期相比的增长（万分比）。上年同期无销售时不计算。",
		DefEn:  "Growth of all agricultural order-line sales over the same months a year earlier, in basis points; not computed when the earlier period had no sales.",
		Source: "order.paid events (lines by product category); rebuilt from market_order_lines", builtin: agriYoY},
	{ID: "households_covered", Capability: "assess", NameZh: "覆盖建档立卡户", NameEn: "Registered households covered", Unit: UnitHouseholds,
		DefZh: "报告期所在年度已评估收入状况的贫困县建档立卡户数。", DefEn: "Registered poor households in national poverty counties whose income status was assessed for the period's year.",
		Source: "household.status.changed events; rebuilt from household_status", builtin: households(FactHouseholds)},
	{ID: "people_covered", Capability: "assess", NameZh: "覆盖建档立卡人口", NameEn: "Registered people covered", Unit: UnitPeople,
		DefZh: "上述户的家庭成员人数。", DefEn: "Members of the households covered.",
		Source: "household.status.changed events; rebuilt from household_status.members", builtin: households(FactPeople)},
	{ID: "households_exited", Capability: "assess", NameZh: "脱贫户", NameEn: "Households exited from poverty", Unit: UnitHouseholds,
		DefZh: "本年度评估为已脱贫、且上年度不是已脱贫的户数。", DefEn: "Households assessed as exited for the period's year that were not exited the year before.",
		Source: "household.status.changed events; rebuilt from household_status (status, previous_status)", builtin: households(FactExited)},
	{ID: "people_exited", Capability: "assess", NameZh: "脱贫人口", NameEn: "People exited from poverty", Unit: UnitPeople,
		DefZh: "脱贫户的家庭成员人数。", DefEn: "Members of the households exited.",
		Source: "household.status.changed events; rebuilt from household_status", builtin: households(FactPeopleExited)},
	{ID: "county_poverty_incidence_bp", Capability: "assess", NameZh: "贫困县综合贫困发生率", NameEn: "Poverty incidence in poverty counties", Unit: UnitBp,
		DefZh:  "评估为贫困或返贫的人口 ÷ 已登记农村人口（仅计已登记农村人口的县），万分比；退出标准为中东部低于2%、西部低于3%。",
		DefEn:  "People assessed poor or returned to poverty ÷ registered rural population (counties with a registered population only), in basis points; counties exit below 2% (central, east) or 3% (west).",
		Source: "household.status.changed events; county_population", builtin: incidence},
	{ID: "channel_provinces", Capability: "market", NameZh: "兴农扶贫频道覆盖省份", NameEn: "Provinces in the poverty-alleviation channel", Unit: UnitProvinces,
		DefZh: "期末频道内在售商品的产地省份数。", DefEn: "Provinces of origin of the channel's products at the end of the period.",
		Source: "market_channel_products (listed_at), market_products.origin_county", builtin: channel(0)},
	{ID: "channel_counties", Capability: "market", NameZh: "频道覆盖县", NameEn: "Counties in the channel", Unit: UnitCounties,
		DefZh: "期末频道商品的产地县数。", DefEn: "Counties of origin of the channel's products at the end of the period.",
		Source: "market_channel_products, market_products.origin_county", builtin: channel(1)},
	{ID: "channel_poverty_counties", Capability: "market", NameZh: "频道覆盖贫困县", NameEn: "Poverty counties in the channel", Unit: UnitCounties,
		DefZh: "其中国家级贫困县个数。", DefEn: "Of those, national poverty counties.",
		Source: "market_channel_products, counties.poverty", builtin: channel(2)},
	{ID: "channel_products", Capability: "market", NameZh: "频道商品数", NameEn: "Products in the channel", Unit: UnitProducts,
		DefZh: "期末带频道标识的商品数。", DefEn: "Products carrying the channel label at the end of the period.",
		Source: "market_channel_products", builtin: channel(3)},

	{ID: "live_sessions", Capability: "live", NameZh: "直播场次", NameEn: "Live broadcasts", Unit: UnitCount,
		DefZh: "报告期内结束的直播场次。", DefEn: "Live selling sessions ended in the period.", Source: "live.session.ended events",
		Planned: planned("live.session.ended", "", Total, false)},
	{ID: "farmer_anchors", Capability: "live", NameZh: "农民主播", NameEn: "Farmer anchors", Unit: UnitPeople,
		DefZh: "期末已通过认证的农民主播人数（仅计已认证主播，未获认证的申请不计）。", DefEn: "Farmer anchors certified by the end of the period (certified anchors only: applications not yet certified are not counted).", Source: "live.anchor.certified events",
		Planned: planned("live.anchor.certified", "", Cumulative, false)},
	{ID: "farmer_anchors_growth_3m_bp", Capability: "live", NameZh: "农民主播三个月增长", NameEn: "Farmer anchors, 3-month growth", Unit: UnitBp,
		DefZh: "期末已认证主播人数比三个月前的增长（万分比）。", DefEn: "Growth of certified farmer anchors over the period's last three months, in basis points.", Source: "live.anchor.certified events",
		Planned: planned("live.anchor.certified", "", Growth3M, false)},
	{ID: "live_gmv_fen", Capability: "live", NameZh: "直播带动销售额", NameEn: "Sales driven by live selling", Unit: UnitFen,
		DefZh: "报告期内结束的直播场次所带来的付款订单金额（按场次结束时间计）。", DefEn: "Paid orders attributed to live sessions ended in the period, counted when the session ends.", Source: "live.session.ended events (gmv_fen)",
		Planned: planned("live.session.ended", "gmv_fen", Total, false)},
	{ID: "live_counties", Capability: "live", NameZh: "开展直播的县", NameEn: "Counties with live selling", Unit: UnitCounties,
		DefZh: "报告期内开播过直播的县数。", DefEn: "Counties with a live session started in the period.", Source: "live.session.started events",
		Planned: planned("live.session.started", "", CountiesWith, false)},
	{ID: "live_provinces", Capability: "live", NameZh: "开展直播的省份", NameEn: "Provinces with live selling", Unit: UnitProvinces,
		DefZh: "报告期内开播过直播的省份数。", DefEn: "Provinces with a live session started in the period.", Source: "live.session.started events",
		Planned: planned("live.session.started", "", ProvincesWith, false)},
	{ID: "loan_borrowers", Capability: "credit", NameZh: "贫困县贷款人数", NameEn: "Borrowers in poverty counties", Unit: UnitPeople,
		DefZh: "报告期内首次获得贷款的贫困县借款人（一户或一个合作社各计一人）。", DefEn: "Borrowers in poverty counties receiving their first loan in the period (a household or a cooperative counts as one borrower).", Source: "credit.loan.disbursed events (new_borrower: 1 on a borrower's first loan — a household's, or a cooperative's)",
		Planned: planned("credit.loan.disbursed", "new_borrower", Total, true)},
	{ID: "loan_amount_fen", Capability: "credit", NameZh: "贫困县贷款金额", NameEn: "Loans in poverty counties", Unit: UnitFen,
		DefZh: "报告期内向贫困县发放的贷款金额。", DefEn: "Loans disbursed in poverty counties in the period.", Source: "credit.loan.disbursed events (fen)",
		Planned: planned("credit.loan.disbursed", "fen", Total, true)},
	{ID: "insured_households", Capability: "insurance", NameZh: "参保建档立卡户", NameEn: "Households insured", Unit: UnitHouseholds,
		DefZh: "报告期内建档立卡户参加健康保险的次数（每户每次为成员参保一个计划计一次；同一户参保两个计划或分两次参保计两次）。", DefEn: "Enrolments of registered households in health insurance in the period: one per enrolment of a household's members in a plan (a household enrolled in two plans, or in two steps, counts twice).", Source: "insurance.household.enrolled events",
		Planned: planned("insurance.household.enrolled", "", Total, false)},
	{ID: "parcels_from_poverty_counties", Capability: "logistics", NameZh: "贫困县发出包裹", NameEn: "Parcels sent from poverty counties", Unit: UnitCount,
		DefZh: "报告期内从贫困县发出的包裹。", DefEn: "Parcels sent from poverty counties in the period.", Source: "logistics.parcel.sent events",
		Planned: planned("logistics.parcel.sent", "", Total, true)},
	{ID: "stations_in_poverty_counties", Capability: "logistics", NameZh: "贫困县物流站点", NameEn: "Stations in poverty counties", Unit: UnitCount,
		DefZh: "期末贫困县的村级站点数（不含县级仓）。", DefEn: "Village stations in poverty counties at the end of the period (county warehouses are not included).", Source: "logistics.station.opened events",
		Planned: planned("logistics.station.opened", "", Cumulative, true)},
	{ID: "trees_planted", Capability: "green", NameZh: "种下的树", NameEn: "Trees planted", Unit: UnitCount,
		DefZh: "报告期内种下的树。", DefEn: "Trees planted in the period.", Source: "green.tree.planted events (count)",
		Planned: planned("green.tree.planted", "count", Total, false)},
	{ID: "green_jobs", Capability: "green", NameZh: "生态岗位", NameEn: "Green jobs", Unit: UnitCount,
		DefZh: "报告期内新安排给建档立卡户的种树、护林岗位。", DefEn: "Planting and guarding jobs given to registered households in the period.", Source: "green.job.assigned events",
		Planned: planned("green.job.assigned", "", Total, false)},
	{ID: "green_job_pay_fen", Capability: "green", NameZh: "生态岗位工资", NameEn: "Green job pay", Unit: UnitFen,
		DefZh: "报告期内支付的生态岗位（种树、护林）工资。", DefEn: "Wages paid for verified planting and guarding work in the period.", Source: "green.job.paid events (fen)",
		Planned: planned("green.job.paid", "fen", Total, false)},
	{ID: "women_covered", Capability: "programs", NameZh: "覆盖妇女", NameEn: "Women covered", Unit: UnitPeople,
		DefZh: "报告期内妇女参加基金项目的人次。", DefEn: "Enrolments of women in the fund's programmes in the period.", Source: "fund.enrolment.made events (woman flag)",
		Planned: planned("fund.enrolment.made", "woman", Total, false)},
	{ID: "students_supported", Capability: "programs", NameZh: "资助学生", NameEn: "Students supported", Unit: UnitPeople,
		DefZh: "报告期内纳入教育项目资助的学生人次。", DefEn: "Student enrolments in the fund's education programmes in the period.", Source: "fund.enrolment.made events (student flag)",
		Planned: planned("fund.enrolment.made", "student", Total, false)},
	{ID: "teachers_supported", Capability: "programs", NameZh: "培训教师", NameEn: "Teachers supported", Unit: UnitPeople,
		DefZh: "报告期内纳入教育项目支持的乡村教师和校长人次。", DefEn: "Teacher and principal enrolments in the fund's education programmes in the period.", Source: "fund.enrolment.made events (teacher flag)",
		Planned: planned("fund.enrolment.made", "teacher", Total, false)},
	{ID: "staff_engaged", Capability: "fund", NameZh: "参与员工", NameEn: "Staff engaged", Unit: UnitPeople,
		DefZh: "报告期内派驻贫困县的扶贫专员。", DefEn: "Staff posted to counties as poverty-alleviation specialists in the period.", Source: "fund.specialist.posted events",
		Planned: planned("fund.specialist.posted", "", Total, false)},
	{ID: "counties_visited", Capability: "fund", NameZh: "走访县", NameEn: "Counties visited", Unit: UnitCounties,
		DefZh: "报告期内有扶贫专员派驻的县数（按派驻登记时间）。", DefEn: "Counties to which poverty-alleviation specialists were posted in the period (by the date the posting was recorded).", Source: "fund.specialist.posted events",
		Planned: planned("fund.specialist.posted", "", CountiesWith, false)},
	{ID: "volunteer_hours", Capability: "fund", NameZh: "公益时", NameEn: "Volunteer hours", Unit: UnitHours,
		DefZh: "报告期内记录的员工公益时。", DefEn: "Public-service hours logged by staff in the period.", Source: "fund.volunteer.logged events (minutes, summed and rounded to hours)",
		Planned: planned("fund.volunteer.logged", "minutes", Total, false)},
}

var byID = func() map[string]*Metric {
	m := map[string]*Metric{}
	for _, x := range Catalogue {
		if m[x.ID] != nil {
			panic("report: metric " + x.ID + " defined twice")
		}
		m[x.ID] = x
	}
	return m
}()

// MetricByID returns a catalogue metric, nil if there is none.
func MetricByID(id string) *Metric { return byID[id] }

// Measured reports whether the metric has a source in this build.
func (m *Metric) Measured() bool {
	if m.builtin != nil {
		return true
	}
	_, ok := measureOf(m.ID)
	return ok
}
