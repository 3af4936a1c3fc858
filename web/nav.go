package web

import (
	"slices"

	"fishpond"
)

// The header menu. Fourteen capabilities do not fit a phone's header, so each role
// gets the few links of its daily work in the header and the rest under "More".
// Adding a capability's pages means adding a line here.

type navItem struct {
	Href, Label string
	On          bool
}

type navMenu struct{ Primary, More []navItem }

type navEntry struct {
	href, zh, en string
	pages        []string
	// roles that see the link (nil: every signed-in user); primary: roles that
	// see it in the header rather than under "More".
	roles, primary []fishpond.Role
}

const (
	rAdmin     = fishpond.RoleAdmin
	rFund      = fishpond.RoleFundAdmin
	rOfficer   = fishpond.RoleCountyOfficer
	rCoop      = fishpond.RoleCoopManager
	rHousehold = fishpond.RoleHousehold
	rConsumer  = fishpond.RoleConsumer
	rPartner   = fishpond.RolePartner
	rAuditor   = fishpond.RoleAuditor
)

var staff = []fishpond.Role{rAdmin, rFund, rOfficer, rCoop, rHousehold, rPartner, rAuditor}

var navEntries = []navEntry{
	{"/counties?poverty=true", "县", "Counties", []string{"counties", "county"}, staff, []fishpond.Role{rAdmin, rOfficer, rAuditor}},
	{"/import", "导入", "Import", []string{"import"}, []fishpond.Role{rAdmin, rOfficer}, []fishpond.Role{rOfficer}},
	{"/audits", "抽查评估", "Audits", []string{"audits", "audit"}, []fishpond.Role{rAdmin, rAuditor, rFund, rOfficer}, []fishpond.Role{rAuditor}},
	{"/fund", "基金", "Fund", []string{"fund", "fund_approvals", "fund_programme", "fund_volunteers"}, []fishpond.Role{rAdmin, rFund}, []fishpond.Role{rFund}},
	{"/partner", "合作伙伴门户", "Partner portal", []string{"partner_portal"}, []fishpond.Role{rPartner}, []fishpond.Role{rPartner}},
	{"/shop", "商城", "Shop", []string{"store", "product", "shop"}, nil, []fishpond.Role{rConsumer}},
	{"/live", "直播", "Live", []string{"live", "live_watch", "live_console", "live_campaign", "live_report", "live_anchor"}, nil, []fishpond.Role{rConsumer, rHousehold}},
	{"/cart", "购物车", "Cart", []string{"cart"}, nil, []fishpond.Role{rConsumer}},
	{"/orders", "我的订单", "My orders", []string{"orders", "order"}, nil, []fishpond.Role{rConsumer}},
	{"/seller", "卖家中心", "Seller dashboard", []string{"seller"}, []fishpond.Role{rAdmin, rHousehold, rCoop, rOfficer}, []fishpond.Role{rHousehold, rCoop}},
	{"/farms", "扶贫农场", "Farms", []string{"farms_index", "farms_coop", "farms_contracts", "farms_contract", "farms_deliveries", "farms_payroll", "farms_field", "farms_claims"}, nil, []fishpond.Role{rCoop}},
	{"/sensing", "农场传感器", "Farm sensors", []string{"sensing_sites", "sensing_site", "sensing_alerts"}, staff, []fishpond.Role{rCoop}},
	{"/loans", "贷款", "Loans", []string{"credit_loans", "credit_loan", "credit_application", "credit_queue", "credit_portfolio"}, staff, []fishpond.Role{rOfficer}},
	{"/insurance", "健康保险", "Health insurance", []string{"insurance"}, staff, nil},
	{"/logistics", "物流", "Logistics", []string{"logistics_network", "logistics_station", "logistics_warehouse", "logistics_sites"}, nil, nil},
	{"/green", "绿色能量", "Green energy", []string{"green", "green_project", "green_certificate", "green_console"}, nil, []fishpond.Role{rConsumer}},
	{"/reports", "公开报告", "Reports", []string{"report", "report_archive", "report_admin"}, nil, []fishpond.Role{rAdmin, rFund, rPartner}},
	{"/admin/users", "用户", "Users", []string{"users"}, []fishpond.Role{rAdmin}, []fishpond.Role{rAdmin}},
	{"/admin/partners", "合作伙伴", "Partners", []string{"partner_admin"}, []fishpond.Role{rAdmin}, nil},
	{"/tokens", "API 令牌", "API tokens", []string{"tokens"}, nil, nil},
}

// Nav is the header menu for the page's user: the household's own page first for a
// farmer, then the role's primary links; everything else it may open under More.
func (v view) Nav() navMenu {
	var m navMenu
	if v.User == nil {
		return m
	}
	role := v.User.Role
	if v.User.HouseholdID != "" {
		m.Primary = append(m.Primary, navItem{"/households/" + v.User.HouseholdID, pick(v.Lang, "我的家庭", "My household"), v.Page == "household"})
	}
	for _, e := range navEntries {
		if e.roles != nil && !slices.Contains(e.roles, role) {
			continue
		}
		it := navItem{e.href, pick(v.Lang, e.zh, e.en), slices.Contains(e.pages, v.Page)}
		if slices.Contains(e.primary, role) {
			m.Primary = append(m.Primary, it)
		} else {
			m.More = append(m.More, it)
		}
	}
	return m
}

func init() { addMessages(map[string]string{"More": "更多"}) }
