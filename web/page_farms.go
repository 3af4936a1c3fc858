package web

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/farms"
	"fishpond/market"
)

// Farm pages: the cooperative's dashboard, contracts, deliveries and payroll for its
// manager (and, read-only, its county's officers), and the public field page with
// the consumers' claim button.
func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /farms", s.public(s.farmsPage))
		m.HandleFunc("GET /farms/claims", s.page(s.myClaimsPage))
		m.HandleFunc("GET /farms/{id}", s.page(s.farmPage))
		m.HandleFunc("POST /farms/{id}/deposits", s.page(s.farmDepositSubmit))
		m.HandleFunc("POST /farms/{id}/dividends", s.page(s.farmDividendSubmit))
		m.HandleFunc("POST /farms/{id}/fields", s.page(s.farmFieldSubmit))
		m.HandleFunc("POST /farms/{id}/inputs", s.page(s.farmInputSubmit))
		m.HandleFunc("GET /farms/{id}/contracts", s.page(s.farmContractsPage))
		m.HandleFunc("POST /farms/{id}/contracts", s.page(s.farmContractSubmit))
		m.HandleFunc("GET /farm-contracts/{id}", s.page(s.farmContractPage))
		m.HandleFunc("POST /farm-contracts/{id}/terminate", s.page(s.farmTerminateSubmit))
		m.HandleFunc("POST /farm-contracts/{id}/documents", s.page(s.farmDocumentSubmit))
		m.HandleFunc("GET /farm-documents/{id}", s.page(s.farmDocumentFile))
		m.HandleFunc("GET /farms/{id}/deliveries", s.page(s.farmDeliveriesPage))
		m.HandleFunc("POST /farms/{id}/agreements", s.page(s.farmAgreementSubmit))
		m.HandleFunc("POST /farm-agreements/{id}/deliveries", s.page(s.farmDeliverySubmit))
		m.HandleFunc("GET /farms/{id}/payroll", s.page(s.farmPayrollPage))
		m.HandleFunc("POST /farms/{id}/tasks", s.page(s.farmTaskSubmit))
		m.HandleFunc("POST /farm-tasks/{id}/work", s.page(s.farmWorkSubmit))
		m.HandleFunc("POST /farms/{id}/payrolls", s.page(s.farmPayrollSubmit))
		m.HandleFunc("GET /fields/{id}", s.public(s.fieldPage))
		m.HandleFunc("POST /fields/{id}/claim", s.page(s.fieldClaimSubmit))
		m.HandleFunc("POST /fields/{id}/harvest", s.page(s.fieldHarvestSubmit))
		m.HandleFunc("POST /fields/{id}/updates", s.page(s.fieldUpdateSubmit))
		m.HandleFunc("GET /fields/{id}/updates/{update}/photo", s.fieldUpdatePhoto)
	})
	// yuan renders whole yuan with thousands separators, for KPIs on a phone.
	addFunc("yuanWhole", func(m fishpond.Money) string { return groupDigits(int64(m) / 100) })
	addMessages(map[string]string{
		"Farms":                     "扶贫农场",
		"Poverty-alleviation farms": "扶贫农场",
		"Fields open for claims":    "开放认领的地块",
		"Claim farmland and pre-order its harvest: your share is shipped to you when it is harvested.": "认领一块农田、预订它的收成：收获时按认领面积把您的那一份寄给您。",
		"My claims":                           "我的认领",
		"Cooperatives":                        "合作社",
		"Cooperative cash":                    "合作社资金",
		"Contracted land":                     "流转土地",
		"Households under contract":           "签约农户",
		"Rent paid this year":                 "今年已付租金",
		"Wages paid this year":                "今年已发工资",
		"Unpaid work":                         "未发工资",
		"Farm income of households this year": "今年农户从农场获得的收入",
		"Rent":                                "土地租金",
		"Wages":                               "务工工资",
		"Produce sales":                       "农产品交售",
		"Dividends":                           "分红",
		"Inputs on credit":                    "赊销农资",
		"Contracts":                           "土地流转合同",
		"Deliveries":                          "交售收购",
		"Payroll":                             "用工工资",
		"Fields":                              "地块",
		"Farm report":                         "农场报告",
		"Benefiting households":               "受益农户",
		"Yield":                               "产量",
		"Claimed":                             "已认领",
		"Household":                           "农户",
		"Area (mu)":                           "面积（亩）",
		"Rent per mu per year (yuan)":         "每亩年租金（元）",
		"Years":                               "年限",
		"Payments per year":                   "每年支付次数",
		"Starts on":                           "起始日期",
		"Ends on":                             "截止日期",
		"Sign contract":                       "签订合同",
		"Rent schedule":                       "租金计划",
		"Lease period":                        "租期",
		"Rent due":                            "应付日",
		"rent_due":                            "待付",
		"rent_paid":                           "已付",
		"rent_cancelled":                      "已取消",
		"contract_active":                     "履约中",
		"contract_terminated":                 "已终止",
		"Documents":                           "合同文件",
		"Upload signed contract":              "上传签字合同",
		"Terminate":                           "终止合同",
		"Termination date":                    "终止日期",
		"Purchase agreements":                 "收购协议",
		"Crop":                                "作物",
		"Pricing":                             "定价方式",
		"pricing_floor":                       "保底价",
		"pricing_premium":                     "市场价加价",
		"Price per kg (yuan)":                 "每公斤价格（元）",
		"Sign agreement":                      "签订协议",
		"Record delivery":                     "记录交售",
		"Weight (kg)":                         "重量（公斤）",
		"Grade":                               "等级",
		"Market price per kg (yuan)":          "当日市场价（元/公斤）",
		"Weighing slip":                       "称重单号",
		"Work assignments":                    "用工任务",
		"New task":                            "新建用工任务",
		"task_planting":                       "播种",
		"task_weeding":                        "除草",
		"task_harvesting":                     "收割",
		"task_other":                          "其他",
		"Basis":                               "计酬方式",
		"basis_day":                           "计日",
		"basis_piece":                         "计件",
		"Rate (yuan)":                         "工价（元）",
		"Record work":                         "记工",
		"Days":                                "工日",
		"Pieces":                              "件数",
		"Date":                                "日期",
		"Run payroll":                         "发放工资",
		"Through":                             "截至",
		"Minimum daily wage":                  "最低日工资",
		"Payroll runs":                        "工资发放记录",
		"Deposit":                             "入账",
		"Pay dividend":                        "分红",
		"Note":                                "备注",
		"New field":                           "新建地块",
		"Season":                              "季节（年份）",
		"Claimable mu":                        "可认领亩数",
		"Claim price per mu (yuan)":           "每亩认领价（元）",
		"Claim":                               "认领",
		"Claim and pay":                       "认领并付款",
		"Log in to claim":                     "登录后认领",
		"Field updates":                       "地块动态",
		"Post update":                         "发布动态",
		"Record harvest":                      "记录收成",
		"Yield (kg)":                          "总产量（公斤）",
		"Claim certificate":                   "认领证书",
		"Your share of the harvest":           "您的收成份额",
		"Certificate no.":                     "证书编号",
		"field_growing":                       "生长中",
		"field_harvested":                     "已收获",
		"claim_placed":                        "待收获",
		"claim_shipped":                       "已寄出",
		"Shares":                              "股份",
		"Cooperative members":                 "社员",
		"Legal representative":                "法定代表人",
		"Supplier":                            "供应商",
		"Value (yuan)":                        "价值（元）",
		"Advance inputs":                      "赊销农资",
		"The farm itself":                     "农场自用",
		"input_seeds":                         "种子",
		"input_fertiliser":                    "化肥",
		"input_pesticide":                     "农药",
		"input_other":                         "其他",
		"Household income by source":          "各户收入来源",
		"Net":                                 "净收入",
		"Deliver to":                          "收货地址",
		"Recipient":                           "收货人",
		"Plot claims":                         "认领",
		"No farm yet.":                        "还没有农场。",
		"My land contracts":                   "我家的土地流转合同",
	})
}

// farmsPage: public fields open for claims, and the farms the user may see.
func (s *Server) farmsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	fields, err := s.Farms.Fields(r.Context(), "")
	if err != nil {
		return err
	}
	var coops []farms.Coop
	if u.ID != "" {
		if coops, err = s.Farms.Coops(r.Context(), u.Principal()); err != nil {
			return err
		}
	}
	// A household sees its own land contracts here.
	var contracts []farms.Contract
	if u.Role == fishpond.RoleHousehold && u.HouseholdID != "" {
		if contracts, err = s.Farms.HouseholdContracts(r.Context(), u.Principal(), u.HouseholdID); err != nil {
			return err
		}
	}
	v := s.view(r, "farms_index")
	v.Title = translate(v.Lang, "Poverty-alleviation farms")
	v.Data = map[string]any{"Fields": fields, "Coops": coops, "Contracts": contracts}
	s.render(w, r, http.StatusOK, "farms_index", v)
	return nil
}

// farmView is what every cooperative page shows at the top.
type farmView struct {
	Coop      farms.Coop
	CanManage bool
	Numbers   map[string]string // household id → registry number
	Tab       string
}

func (s *Server) farmHeader(r *http.Request, u access.User, id, tab string) (farmView, error) {
	c, err := s.Farms.Coop(r.Context(), u.Principal(), id)
	if err != nil {
		return farmView{}, err
	}
	fv := farmView{Coop: c, Numbers: map[string]string{}, Tab: tab}
	fv.CanManage = u.Role == fishpond.RoleAdmin || (u.Role == fishpond.RoleCoopManager && u.ID == c.ManagerUserID)
	for _, m := range c.Members {
		if m.HouseholdID != "" {
			fv.Numbers[m.HouseholdID] = m.Number
		}
	}
	return fv, nil
}

func (s *Server) renderFarm(w http.ResponseWriter, r *http.Request, page, title string, fv farmView, data map[string]any) {
	v := s.view(r, page)
	v.Title = translate(v.Lang, title) + " · " + fv.Coop.Name
	data["Farm"] = fv
	v.Data = data
	s.render(w, r, http.StatusOK, page, v)
}

func (s *Server) farmPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	fv, err := s.farmHeader(r, u, r.PathValue("id"), "dashboard")
	if err != nil {
		return err
	}
	year, err := farmYear(r)
	if err != nil {
		return err
	}
	ctx, p := r.Context(), u.Principal()
	cash, err := s.Farms.Cash(ctx, p, fv.Coop.ID)
	if err != nil {
		return err
	}
	rep, err := s.Farms.Report(ctx, p, fv.Coop.ID, year)
	if err != nil {
		return err
	}
	unpaid, unpaidHH, err := s.Farms.UnpaidWork(ctx, p, fv.Coop.ID)
	if err != nil {
		return err
	}
	fields, err := s.Farms.Fields(ctx, fv.Coop.ID)
	if err != nil {
		return err
	}
	inputs, err := s.Farms.Inputs(ctx, p, fv.Coop.ID)
	if err != nil {
		return err
	}
	shops, err := s.Market.SellerShops(ctx, p)
	if err != nil {
		return err
	}
	var shopID string
	for _, sh := range shops {
		if sh.OwnerKind == market.OwnerCoop && sh.OwnerID == fv.Coop.ID {
			shopID = sh.ID
		}
	}
	lang := lang(r)
	chart := []map[string]any{
		{"name": translate(lang, "Rent"), "value": int64(rep.Rent) / 100},
		{"name": translate(lang, "Wages"), "value": int64(rep.Wages) / 100},
		{"name": translate(lang, "Produce sales"), "value": int64(rep.Sales) / 100},
		{"name": translate(lang, "Dividends"), "value": int64(rep.Dividends) / 100},
	}
	s.renderFarm(w, r, "farms_coop", "Farms", fv, map[string]any{"Cash": cash, "Report": rep, "Unpaid": unpaid, "UnpaidHouseholds": unpaidHH,
		"Fields": fields, "Inputs": inputs, "Chart": chart, "Year": year, "ShopID": shopID, "InputKinds": farms.InputKinds,
		"Key": strconv.FormatInt(time.Now().UnixNano(), 36)})
	return nil
}

func formMoney(r *http.Request, name string) (fishpond.Money, error) {
	m, err := fishpond.ParseMoney(r.FormValue(name))
	if err != nil {
		return 0, fishpond.Invalid("bad amount / 金额有误", map[string]string{name: "yuan with at most two decimals / 金额（元），最多两位小数"})
	}
	return m, nil
}

func formInt(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(r.FormValue(name)), 10, 64)
	if err != nil {
		return 0, fishpond.Invalid("bad number / 数字有误", map[string]string{name: "a whole number / 请输入整数"})
	}
	return n, nil
}

func formArea(r *http.Request, name string) (farms.Area, error) {
	a, err := farms.ParseArea(r.FormValue(name))
	if err != nil {
		return 0, fishpond.Invalid("bad area / 面积有误", map[string]string{name: "mu with at most two decimals / 亩，最多两位小数"})
	}
	return a, nil
}

func formWeight(r *http.Request, name string) (farms.Weight, error) {
	wt, err := farms.ParseWeight(r.FormValue(name))
	if err != nil {
		return 0, fishpond.Invalid("bad weight / 重量有误", map[string]string{name: "kg with at most three decimals / 公斤，最多三位小数"})
	}
	return wt, nil
}

func (s *Server) farmDepositSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	amt, err := formMoney(r, "amount")
	if err != nil {
		return err
	}
	if _, err := s.Farms.Deposit(r.Context(), u.Principal(), r.PathValue("id"), amt, r.FormValue("note"), r.FormValue("key")); err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) farmDividendSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	amt, err := formMoney(r, "amount")
	if err != nil {
		return err
	}
	if _, err := s.Farms.PayDividend(r.Context(), u.Principal(), r.PathValue("id"), amt, r.FormValue("note"), r.FormValue("key")); err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) farmFieldSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	area, err := formArea(r, "area")
	if err != nil {
		return err
	}
	claimable, err := formInt(r, "claimable")
	if err != nil {
		return err
	}
	var price fishpond.Money
	if claimable > 0 {
		if price, err = formMoney(r, "price"); err != nil {
			return err
		}
	}
	f, err := s.Farms.AddField(r.Context(), u.Principal(), r.PathValue("id"), farms.FieldInput{Name: r.FormValue("name"), Crop: r.FormValue("crop"),
		Season: r.FormValue("season"), Area: area, ClaimableMu: claimable, ClaimPrice: price, ShopID: r.FormValue("shop")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/fields/"+f.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) farmInputSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	value, err := formMoney(r, "value")
	if err != nil {
		return err
	}
	qty, err := formInt(r, "quantity")
	if err != nil {
		return err
	}
	_, err = s.Farms.AdvanceInput(r.Context(), u.Principal(), r.PathValue("id"), farms.InputRequest{HouseholdID: r.FormValue("household"), Kind: r.FormValue("kind"),
		Description: r.FormValue("description"), Quantity: qty, Unit: r.FormValue("unit"), Value: value, Supplier: r.FormValue("supplier"), IdempotencyKey: r.FormValue("key")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) farmContractsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	fv, err := s.farmHeader(r, u, r.PathValue("id"), "contracts")
	if err != nil {
		return err
	}
	cs, err := s.Farms.Contracts(r.Context(), u.Principal(), fv.Coop.ID)
	if err != nil {
		return err
	}
	var area farms.Area
	var annual fishpond.Money
	for _, c := range cs {
		if c.Status == farms.ContractActive {
			area += c.Area
			annual += c.AnnualRent()
		}
	}
	s.renderFarm(w, r, "farms_contracts", "Contracts", fv, map[string]any{"Contracts": cs, "Area": area, "Annual": annual,
		"Key": strconv.FormatInt(time.Now().UnixNano(), 36), "Today": time.Now().In(fishpond.ChinaTime).Format("2006-01-02")})
	return nil
}

func (s *Server) farmContractSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	area, err := formArea(r, "area")
	if err != nil {
		return err
	}
	rate, err := formMoney(r, "rate")
	if err != nil {
		return err
	}
	years, err := formInt(r, "years")
	if err != nil {
		return err
	}
	n, err := formInt(r, "per_year")
	if err != nil {
		return err
	}
	c, err := s.Farms.SignContract(r.Context(), u.Principal(), r.PathValue("id"), farms.ContractInput{HouseholdID: r.FormValue("household"), Area: area,
		Rate: rate, Years: int(years), PaymentsPerYear: int(n), StartsOn: r.FormValue("starts_on"), IdempotencyKey: r.FormValue("key")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/farm-contracts/"+c.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) farmContractPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Farms.Contract(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	docs, err := s.Farms.Documents(r.Context(), u.Principal(), c.ID)
	if err != nil {
		return err
	}
	v := s.view(r, "farms_contract")
	v.Title = translate(v.Lang, "Contracts")
	data := map[string]any{"Contract": c, "Documents": docs, "Number": ""}
	if u.Role != fishpond.RoleHousehold {
		fv, err := s.farmHeader(r, u, c.CoopID, "contracts")
		if err != nil {
			return err
		}
		data["Farm"] = fv
		data["Number"] = fv.Numbers[c.HouseholdID]
	}
	var paid fishpond.Money
	for _, i := range c.Schedule {
		if i.Status == farms.RentPaid {
			paid += i.Amount
		}
	}
	data["Paid"] = paid
	v.Data = data
	s.render(w, r, http.StatusOK, "farms_contract", v)
	return nil
}

func (s *Server) farmTerminateSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Farms.Terminate(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("on"), r.FormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/farm-contracts/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) farmDocumentSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, farms.MaxDocumentBytes+1<<20)
	f, h, err := r.FormFile("file")
	if err != nil {
		return fishpond.Invalid("no file uploaded / 未上传文件", map[string]string{"file": "choose a PDF, JPEG or PNG / 请选择 PDF、JPEG 或 PNG 文件"})
	}
	defer f.Close()
	if _, err := s.Farms.AddDocument(r.Context(), u.Principal(), r.PathValue("id"), h.Filename, f); err != nil {
		return err
	}
	http.Redirect(w, r, "/farm-contracts/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) farmDocumentFile(w http.ResponseWriter, r *http.Request, u access.User) error {
	d, path, err := s.Farms.DocumentFile(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fishpond.Internal(err)
	}
	defer f.Close()
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename*=UTF-8''%s", urlQueryEscape(d.Filename)))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", d.CreatedAt, f)
	return nil
}

func (s *Server) farmDeliveriesPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	fv, err := s.farmHeader(r, u, r.PathValue("id"), "deliveries")
	if err != nil {
		return err
	}
	as, err := s.Farms.Agreements(r.Context(), u.Principal(), fv.Coop.ID)
	if err != nil {
		return err
	}
	ds, err := s.Farms.Deliveries(r.Context(), u.Principal(), fv.Coop.ID, 200)
	if err != nil {
		return err
	}
	var total fishpond.Money
	var weight farms.Weight
	for _, d := range ds {
		total += d.Amount
		weight += d.Weight
	}
	today := time.Now().In(fishpond.ChinaTime)
	s.renderFarm(w, r, "farms_deliveries", "Deliveries", fv, map[string]any{"Agreements": as, "Deliveries": ds, "Total": total, "Weight": weight,
		"Key": strconv.FormatInt(time.Now().UnixNano(), 36), "Today": today.Format("2006-01-02"), "YearEnd": fmt.Sprintf("%d-12-31", today.Year())})
	return nil
}

func (s *Server) farmAgreementSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	price, err := formMoney(r, "price")
	if err != nil {
		return err
	}
	_, err = s.Farms.SignAgreement(r.Context(), u.Principal(), r.PathValue("id"), farms.AgreementInput{HouseholdID: r.FormValue("household"),
		Crop: r.FormValue("crop"), Pricing: r.FormValue("pricing"), Price: price, StartsOn: r.FormValue("starts_on"), EndsOn: r.FormValue("ends_on"),
		IdempotencyKey: r.FormValue("key")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+r.PathValue("id")+"/deliveries", http.StatusSeeOther)
	return nil
}

func (s *Server) farmDeliverySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	weight, err := formWeight(r, "weight")
	if err != nil {
		return err
	}
	var market fishpond.Money
	if strings.TrimSpace(r.FormValue("market")) != "" {
		if market, err = formMoney(r, "market"); err != nil {
			return err
		}
	}
	d, err := s.Farms.RecordDelivery(r.Context(), u.Principal(), r.PathValue("id"), farms.DeliveryInput{Weight: weight, Grade: r.FormValue("grade"),
		MarketPrice: market, IdempotencyKey: r.FormValue("slip")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+d.CoopID+"/deliveries", http.StatusSeeOther)
	return nil
}

func (s *Server) farmPayrollPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	fv, err := s.farmHeader(r, u, r.PathValue("id"), "payroll")
	if err != nil {
		return err
	}
	ctx, p := r.Context(), u.Principal()
	tasks, err := s.Farms.Tasks(ctx, p, fv.Coop.ID)
	if err != nil {
		return err
	}
	runs, err := s.Farms.Payrolls(ctx, p, fv.Coop.ID)
	if err != nil {
		return err
	}
	for i := range runs {
		if i >= 5 {
			break
		}
		if runs[i], err = s.Farms.Payroll(ctx, p, runs[i].ID); err != nil {
			return err
		}
	}
	unpaid, unpaidHH, err := s.Farms.UnpaidWork(ctx, p, fv.Coop.ID)
	if err != nil {
		return err
	}
	s.renderFarm(w, r, "farms_payroll", "Payroll", fv, map[string]any{"Tasks": tasks, "Runs": runs, "Unpaid": unpaid, "UnpaidHouseholds": unpaidHH,
		"Kinds": farms.TaskKinds, "Key": strconv.FormatInt(time.Now().UnixNano(), 36), "Today": time.Now().In(fishpond.ChinaTime).Format("2006-01-02")})
	return nil
}

func (s *Server) farmTaskSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	rate, err := formMoney(r, "rate")
	if err != nil {
		return err
	}
	_, err = s.Farms.AddTask(r.Context(), u.Principal(), r.PathValue("id"), farms.TaskInput{FieldID: r.FormValue("field"), Kind: r.FormValue("kind"),
		Basis: r.FormValue("basis"), Rate: rate, Unit: r.FormValue("unit"), Note: r.FormValue("note")})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+r.PathValue("id")+"/payroll", http.StatusSeeOther)
	return nil
}

func (s *Server) farmWorkSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	days, err := strconv.ParseFloat(strings.TrimSpace(r.FormValue("days")), 64)
	if err != nil || days <= 0 || days > 1 {
		return fishpond.Invalid("bad days / 工日有误", map[string]string{"days": "0.1 to 1 / 0.1 至 1"})
	}
	var pieces int64
	if strings.TrimSpace(r.FormValue("pieces")) != "" {
		if pieces, err = formInt(r, "pieces"); err != nil {
			return err
		}
	}
	wk, err := s.Farms.LogWork(r.Context(), u.Principal(), r.PathValue("id"), farms.WorkInput{HouseholdID: r.FormValue("household"), Date: r.FormValue("date"),
		Days: farms.Days(days*10 + 0.5), Pieces: pieces, IdempotencyKey: r.FormValue("key")})
	if err != nil {
		return err
	}
	_ = wk
	http.Redirect(w, r, "/farms/"+r.FormValue("coop")+"/payroll", http.StatusSeeOther)
	return nil
}

func (s *Server) farmPayrollSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Farms.RunPayroll(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("through"), r.FormValue("key")); err != nil {
		return err
	}
	http.Redirect(w, r, "/farms/"+r.PathValue("id")+"/payroll", http.StatusSeeOther)
	return nil
}

// fieldPage is public: anyone sees the field, its claims progress and updates; a
// signed-in consumer gets the claim form, the cooperative's manager the harvest and
// update forms.
func (s *Server) fieldPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.Farms.Field(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	updates, err := s.Farms.Updates(r.Context(), f.ID, 20)
	if err != nil {
		return err
	}
	data := map[string]any{"Field": f, "Updates": updates, "Key": strconv.FormatInt(time.Now().UnixNano(), 36),
		"Left": f.ClaimableMu - f.ClaimedMu}
	if u.ID != "" {
		addrs, err := s.Market.Addresses(r.Context(), u.Principal())
		if err != nil {
			return err
		}
		data["Addresses"] = addrs
		if claims, err := s.Farms.FieldClaims(r.Context(), u.Principal(), f.ID); err == nil {
			data["Claims"] = claims
			fv, err := s.farmHeader(r, u, f.CoopID, "fields")
			if err == nil && fv.CanManage {
				data["CanManage"] = true
			}
		}
	}
	v := s.view(r, "farms_field")
	v.Title = f.Name
	v.Data = data
	s.render(w, r, http.StatusOK, "farms_field", v)
	return nil
}

// fieldClaimSubmit places the claim (a marketplace order) and sends the consumer to
// the wallet's cashier; a new address is saved first when given.
func (s *Server) fieldClaimSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	mu, err := formInt(r, "mu")
	if err != nil {
		return err
	}
	addr := r.FormValue("address")
	if addr == "" || addr == "new" {
		county := strings.TrimSpace(r.FormValue("county"))
		prov := ""
		if len(county) >= 2 {
			prov = county[:2]
		}
		a, err := s.Market.AddAddress(r.Context(), u.Principal(), market.AddressInput{Name: r.FormValue("name"), Phone: r.FormValue("phone"),
			ProvinceCode: prov, CountyCode: county, Detail: r.FormValue("detail")})
		if err != nil {
			return err
		}
		addr = a.ID
	}
	c, err := s.Farms.MakeClaim(r.Context(), u.Principal(), r.PathValue("id"), farms.ClaimInput{Mu: mu, AddressID: addr, IdempotencyKey: r.FormValue("key")})
	if err != nil {
		return err
	}
	url, err := s.payOrder(r, u, c.OrderID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

func (s *Server) fieldHarvestSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	y, err := formWeight(r, "yield")
	if err != nil {
		return err
	}
	if _, err := s.Farms.RecordHarvest(r.Context(), u.Principal(), r.PathValue("id"), y); err != nil {
		return err
	}
	http.Redirect(w, r, "/fields/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

// addFieldUpdate reads multipart "note" and optional "photo" (API and page).
func (s *Server) addFieldUpdate(r *http.Request, u access.User) (farms.Update, error) {
	note := r.FormValue("note")
	var up farms.Update
	var err error
	if f, _, ferr := r.FormFile("photo"); ferr == nil {
		defer f.Close()
		up, err = s.Farms.AddUpdate(r.Context(), u.Principal(), r.PathValue("id"), note, f)
	} else {
		up, err = s.Farms.AddUpdate(r.Context(), u.Principal(), r.PathValue("id"), note, nil)
	}
	return up, err
}

func (s *Server) fieldUpdateSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, 6<<20)
	if _, err := s.addFieldUpdate(r, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/fields/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) fieldUpdatePhoto(w http.ResponseWriter, r *http.Request) {
	path, ct, err := s.Farms.UpdatePhoto(r.Context(), r.PathValue("update"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFile(w, r, path)
}

func (s *Server) myClaimsPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	claims, err := s.Farms.MyClaims(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	type claimView struct {
		Claim   farms.Claim
		Field   farms.Field
		Updates []farms.Update
	}
	var views []claimView
	for _, c := range claims {
		f, err := s.Farms.Field(r.Context(), c.FieldID)
		if err != nil {
			return err
		}
		ups, err := s.Farms.Updates(r.Context(), f.ID, 5)
		if err != nil {
			return err
		}
		views = append(views, claimView{c, f, ups})
	}
	v := s.view(r, "farms_claims")
	v.Title = translate(v.Lang, "My claims")
	v.Data = map[string]any{"Claims": views}
	s.render(w, r, http.StatusOK, "farms_claims", v)
	return nil
}

// groupDigits writes n with a comma every three digits: 1950000 → "1,950,000".
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
