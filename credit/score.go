package credit

import (
	"fmt"

	"fishpond"
)

// Inputs are the platform facts an application is scored on, recorded with every
// decision. Each field says where it comes from, so an officer can check it.
// Decisions recorded before a field existed keep the inputs they were made with
// (the field reads as zero and was no term of their score).
type Inputs struct {
	// HouseholdStatus is the household's status from the latest assessment
	// (poor, marginal, exited, returned).
	HouseholdStatus string `json:"household_status"`
	// SalesMonths is how many of the last 12 calendar months brought the household
	// platform operating income (sales settled through the marketplace).
	SalesMonths int `json:"sales_months"`
	// Sales12Fen is that income over the last 12 months, in fen.
	Sales12Fen int64 `json:"sales_12_fen"`
	// Orders12 counts paid orders of the household's products in the last 12
	// months; RefundRateBp is the share of their amount refunded.
	Orders12     int   `json:"orders_12"`
	RefundRateBp int64 `json:"refund_rate_bp"`
	// LoansRepaid counts earlier loans repaid in full; LoansLate those (settled or
	// open) that were ever more than Model.LateDays days late; Overdue is true when
	// an open loan is overdue now.
	LoansRepaid int  `json:"loans_repaid"`
	LoansLate   int  `json:"loans_late"`
	Overdue     bool `json:"overdue"`
	// AmountFen is the amount asked for.
	AmountFen int64 `json:"amount_fen"`
	// BorrowerKind is "cooperative" for a cooperative's application ("" for a
	// household: decisions recorded before cooperatives borrowed have none).
	BorrowerKind string `json:"borrower_kind,omitempty"`
	// Contracts and purchase agreements (farms). For a household: land-transfer
	// contracts in force on which it leases its land out, and the rent paid to it in
	// the last 12 months; purchase agreements in force on which a cooperative buys its
	// crop, and the value it delivered under them in the last 12 months. For a
	// cooperative, the same from the other side: land it holds under contracts and
	// the rent it paid, agreements it signed and the produce it bought under them.
	ContractsActive  int   `json:"contracts_active"`
	Rent12Fen        int64 `json:"rent_12_fen"`
	AgreementsActive int   `json:"agreements_active"`
	Deliveries12Fen  int64 `json:"deliveries_12_fen"`
	// MemberHouseholds is a cooperative's shareholding members that are registered
	// households (farms_members).
	MemberHouseholds int `json:"member_households,omitempty"`
}

// IsCoop reports whether the inputs are a cooperative's.
func (in Inputs) IsCoop() bool { return in.BorrowerKind == BorrowerCoop }

// Model is the scoring model: points per fact and the thresholds that turn a score
// into a decision. It is configuration (cmd may load another one); every decision
// records the model it was made with.
type Model struct {
	Name string `json:"name"`
	// Sales history: points per month with sales, up to MaxSalesMonths months.
	PointsPerSalesMonth int `json:"points_per_sales_month"`
	MaxSalesMonths      int `json:"max_sales_months"`
	// Sales volume: one point per YuanPerPoint yuan of 12-month sales, up to MaxVolumePoints.
	YuanPerPoint    int64 `json:"yuan_per_point"`
	MaxVolumePoints int   `json:"max_volume_points"`
	// Orders: one point per OrdersPerPoint orders, up to MaxOrderPoints.
	OrdersPerPoint int `json:"orders_per_point"`
	MaxOrderPoints int `json:"max_order_points"`
	// Refunds above RefundFreeBp cost PointsPerRefundPct per percentage point.
	RefundFreeBp       int64 `json:"refund_free_bp"`
	PointsPerRefundPct int   `json:"points_per_refund_pct"`
	// Repayment history.
	PointsPerRepaidLoan int `json:"points_per_repaid_loan"`
	MaxRepaidPoints     int `json:"max_repaid_points"`
	LateDays            int `json:"late_days"`
	PointsPerLateLoan   int `json:"points_per_late_loan"` // negative
	// Status points: poverty-alleviation lending targets registered poor and
	// marginal households.
	StatusPoints map[string]int `json:"status_points"`
	// Asking for more than 12 months of sales costs OverSalesPoints (negative).
	OverSalesPoints int `json:"over_sales_points"`
	// Purchase agreements (farms): a guaranteed buyer. PointsPerAgreement per
	// agreement in force, up to MaxAgreementPoints; one point per
	// DeliveryYuanPerPoint yuan delivered under them in 12 months (a cooperative:
	// bought), up to MaxDeliveryPoints. A model without these fields (an older model
	// file) scores them 0.
	PointsPerAgreement   int   `json:"points_per_agreement"`
	MaxAgreementPoints   int   `json:"max_agreement_points"`
	DeliveryYuanPerPoint int64 `json:"delivery_yuan_per_point"`
	MaxDeliveryPoints    int   `json:"max_delivery_points"`
	// Land-transfer contracts: PointsPerContract per contract in force, up to
	// MaxContractPoints; one point per RentYuanPerPoint yuan of rent received in 12
	// months (a cooperative: paid, on time, by the rent scheduler), up to MaxRentPoints.
	PointsPerContract int   `json:"points_per_contract"`
	MaxContractPoints int   `json:"max_contract_points"`
	RentYuanPerPoint  int64 `json:"rent_yuan_per_point"`
	MaxRentPoints     int   `json:"max_rent_points"`
	// Cooperatives: one point per MembersPerPoint registered member households, up
	// to MaxMemberPoints — the programme lends to cooperatives that carry registered
	// households, as it lends to the households first. (A cooperative has no
	// household status.)
	MembersPerPoint int `json:"members_per_point"`
	MaxMemberPoints int `json:"max_member_points"`
	// Score ≥ Approve: approved at once; ≥ Refer: an officer decides; below: declined.
	Approve int `json:"approve"`
	Refer   int `json:"refer"`
}

// DefaultModel is the model of a fresh installation: a household that has sold on
// the platform for half a year with few refunds is approved for a loan of the size
// of its sales; one with little history is referred to an officer.
var DefaultModel = Model{
	Name:                "default-2020-farms",
	PointsPerSalesMonth: 5, MaxSalesMonths: 12,
	YuanPerPoint: 500, MaxVolumePoints: 20,
	OrdersPerPoint: 5, MaxOrderPoints: 10,
	RefundFreeBp: 500, PointsPerRefundPct: 2,
	PointsPerRepaidLoan: 10, MaxRepaidPoints: 20,
	LateDays: 30, PointsPerLateLoan: -25,
	StatusPoints:       map[string]int{"poor": 10, "marginal": 10, "returned": 10, "exited": 5},
	OverSalesPoints:    -15,
	PointsPerAgreement: 5, MaxAgreementPoints: 10,
	DeliveryYuanPerPoint: 500, MaxDeliveryPoints: 10,
	PointsPerContract: 3, MaxContractPoints: 6,
	RentYuanPerPoint: 500, MaxRentPoints: 5,
	MembersPerPoint: 10, MaxMemberPoints: 10,
	Approve: 60, Refer: 20,
}

// Validate checks a model an operator supplies.
func (m Model) Validate() error {
	f := map[string]string{}
	if m.Name == "" {
		f["name"] = "required"
	}
	if m.YuanPerPoint <= 0 || m.OrdersPerPoint <= 0 {
		f["yuan_per_point"] = "yuan_per_point and orders_per_point must be positive"
	}
	if m.DeliveryYuanPerPoint < 0 || m.RentYuanPerPoint < 0 || m.MembersPerPoint < 0 {
		f["delivery_yuan_per_point"] = "delivery_yuan_per_point, rent_yuan_per_point and members_per_point must not be negative"
	}
	if m.Refer > m.Approve {
		f["refer"] = "must not exceed approve"
	}
	if len(f) > 0 {
		return fishpond.Invalid("invalid scoring model", f)
	}
	return nil
}

// Decision outcomes.
const (
	Approve = "approve"
	Refer   = "refer"
	Decline = "decline"
)

// Reason is one term of a score, in words for the applicant and the officer.
type Reason struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	Zh     string `json:"zh"`
	En     string `json:"en"`
}

// Decision is a scored application: the outcome, the score and every term of it.
type Decision struct {
	Outcome string   `json:"outcome"`
	Score   int      `json:"score"`
	Reasons []Reason `json:"reasons"`
}

func clamp(v, hi int) int {
	if v > hi {
		return hi
	}
	return v
}

// Decide scores in. It is pure: the same inputs and model give the same decision,
// which is what makes a recorded decision explainable and testable.
func (m Model) Decide(in Inputs) Decision {
	var d Decision
	add := func(factor string, pts int, zh, en string) {
		d.Score += pts
		d.Reasons = append(d.Reasons, Reason{Factor: factor, Points: pts, Zh: zh, En: en})
	}
	months := clamp(in.SalesMonths, m.MaxSalesMonths)
	add("sales_months", months*m.PointsPerSalesMonth,
		fmt.Sprintf("近12个月有%d个月在平台有销售收入", in.SalesMonths), fmt.Sprintf("sales on the platform in %d of the last 12 months", in.SalesMonths))
	vol := 0
	if m.YuanPerPoint > 0 {
		vol = clamp(int(in.Sales12Fen/100/m.YuanPerPoint), m.MaxVolumePoints)
	}
	add("sales_volume", vol, fmt.Sprintf("近12个月销售收入 %s 元", fishpond.Money(in.Sales12Fen)), fmt.Sprintf("%s yuan of sales in the last 12 months", fishpond.Money(in.Sales12Fen)))
	ord := 0
	if m.OrdersPerPoint > 0 {
		ord = clamp(in.Orders12/m.OrdersPerPoint, m.MaxOrderPoints)
	}
	add("orders", ord, fmt.Sprintf("近12个月%d笔订单", in.Orders12), fmt.Sprintf("%d orders in the last 12 months", in.Orders12))
	if in.Orders12 > 0 {
		pen := 0
		if in.RefundRateBp > m.RefundFreeBp {
			pen = -int((in.RefundRateBp - m.RefundFreeBp + 99) / 100 * int64(m.PointsPerRefundPct))
		}
		add("refund_rate", pen, fmt.Sprintf("退款率 %.1f%%", float64(in.RefundRateBp)/100), fmt.Sprintf("refund rate %.1f%%", float64(in.RefundRateBp)/100))
	}
	if in.LoansRepaid > 0 {
		add("loans_repaid", clamp(in.LoansRepaid*m.PointsPerRepaidLoan, m.MaxRepaidPoints),
			fmt.Sprintf("已还清%d笔贷款", in.LoansRepaid), fmt.Sprintf("%d loans repaid in full", in.LoansRepaid))
	}
	if in.LoansLate > 0 {
		add("loans_late", in.LoansLate*m.PointsPerLateLoan,
			fmt.Sprintf("%d笔贷款曾逾期超过%d天", in.LoansLate, m.LateDays), fmt.Sprintf("%d loans were once more than %d days late", in.LoansLate, m.LateDays))
	}
	if pts, ok := m.StatusPoints[in.HouseholdStatus]; ok && pts != 0 && !in.IsCoop() {
		add("household_status", pts, "建档立卡户状态："+statusZh(in.HouseholdStatus), "registered household status: "+in.HouseholdStatus)
	}
	m.farmTerms(in, add)
	if in.AmountFen > in.Sales12Fen {
		add("amount_over_sales", m.OverSalesPoints, "申请金额高于近12个月销售收入", "amount asked exceeds 12 months of sales")
	}
	switch {
	case in.Overdue:
		d.Outcome = Decline
		d.Reasons = append(d.Reasons, Reason{Factor: "overdue", Zh: "现有贷款逾期，须先还款", En: "an open loan is overdue; repay it first"})
	case d.Score >= m.Approve:
		d.Outcome = Approve
	case d.Score >= m.Refer:
		d.Outcome = Refer
	default:
		d.Outcome = Decline
	}
	return d
}

// perPoint is one point per unit (yuan) of fen, up to hi; 0 when unit is 0 (a
// model without the term).
func perPoint(fen, unit int64, hi int) int {
	if unit <= 0 || fen <= 0 {
		return 0
	}
	return clamp(int(fen/100/unit), hi)
}

// farmTerms adds the terms from the farms capability: purchase agreements and
// their deliveries, land-transfer contracts and their rent, and a cooperative's
// registered member households. A term appears only when its fact is there, so a
// borrower with no farm dealings is scored as before.
func (m Model) farmTerms(in Inputs, add func(factor string, pts int, zh, en string)) {
	coop := in.IsCoop()
	if in.AgreementsActive > 0 {
		zh, en := fmt.Sprintf("%d份收购协议在履行中（有保底收购方）", in.AgreementsActive), fmt.Sprintf("%d purchase agreements in force (a guaranteed buyer)", in.AgreementsActive)
		if coop {
			zh, en = fmt.Sprintf("与农户签订%d份收购协议在履行中", in.AgreementsActive), fmt.Sprintf("%d purchase agreements with households in force", in.AgreementsActive)
		}
		add("purchase_agreements", clamp(in.AgreementsActive*m.PointsPerAgreement, m.MaxAgreementPoints), zh, en)
	}
	if in.Deliveries12Fen > 0 {
		zh, en := fmt.Sprintf("近12个月按收购协议交售 %s 元", fishpond.Money(in.Deliveries12Fen)), fmt.Sprintf("%s yuan delivered under purchase agreements in the last 12 months", fishpond.Money(in.Deliveries12Fen))
		if coop {
			zh, en = fmt.Sprintf("近12个月按收购协议收购 %s 元", fishpond.Money(in.Deliveries12Fen)), fmt.Sprintf("%s yuan of produce bought under purchase agreements in the last 12 months", fishpond.Money(in.Deliveries12Fen))
		}
		add("agreement_deliveries", perPoint(in.Deliveries12Fen, m.DeliveryYuanPerPoint, m.MaxDeliveryPoints), zh, en)
	}
	if in.ContractsActive > 0 {
		zh, en := fmt.Sprintf("%d份土地流转合同在履行中", in.ContractsActive), fmt.Sprintf("%d land-transfer contracts in force", in.ContractsActive)
		if coop {
			zh, en = fmt.Sprintf("与农户的土地流转合同%d份在履行中", in.ContractsActive), fmt.Sprintf("%d land-transfer contracts with households in force", in.ContractsActive)
		}
		add("land_contracts", clamp(in.ContractsActive*m.PointsPerContract, m.MaxContractPoints), zh, en)
	}
	if in.Rent12Fen > 0 {
		zh, en := fmt.Sprintf("近12个月收到土地流转租金 %s 元", fishpond.Money(in.Rent12Fen)), fmt.Sprintf("%s yuan of land rent received in the last 12 months", fishpond.Money(in.Rent12Fen))
		if coop {
			zh, en = fmt.Sprintf("近12个月按期支付土地租金 %s 元", fishpond.Money(in.Rent12Fen)), fmt.Sprintf("%s yuan of land rent paid in the last 12 months", fishpond.Money(in.Rent12Fen))
		}
		add("land_rent", perPoint(in.Rent12Fen, m.RentYuanPerPoint, m.MaxRentPoints), zh, en)
	}
	if coop && in.MemberHouseholds > 0 && m.MembersPerPoint > 0 {
		add("member_households", clamp(in.MemberHouseholds/m.MembersPerPoint, m.MaxMemberPoints),
			fmt.Sprintf("合作社有%d户建档立卡社员", in.MemberHouseholds), fmt.Sprintf("%d registered households are members of the cooperative", in.MemberHouseholds))
	}
}

func statusZh(s string) string {
	switch s {
	case "poor":
		return "贫困户"
	case "marginal":
		return "边缘户"
	case "exited":
		return "已脱贫"
	case "returned":
		return "返贫"
	}
	return s
}
