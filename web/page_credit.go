package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/credit"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /loans", s.page(s.loansPage))
		m.HandleFunc("POST /loans/apply", s.page(s.loanApplySubmit))
		m.HandleFunc("GET /loans/queue", s.page(s.loanQueuePage))
		m.HandleFunc("GET /loans/portfolio", s.page(s.loanPortfolioPage))
		m.HandleFunc("GET /loans/applications/{id}", s.page(s.loanApplicationPage))
		m.HandleFunc("POST /loans/applications/{id}/review", s.page(s.loanReviewSubmit))
		m.HandleFunc("GET /loans/{id}", s.page(s.loanPage))
		m.HandleFunc("POST /loans/{id}/repay", s.page(s.loanRepaySubmit))
		m.HandleFunc("POST /loans/{id}/restructure", s.page(s.loanRestructureSubmit))
	})
	addMessages(map[string]string{
		"Loans":                                 "小额贷款",
		"Apply for a loan":                      "申请贷款",
		"Loan product":                          "贷款产品",
		"Amount (yuan)":                         "金额（元）",
		"What is it for?":                       "用途说明",
		"Input supplier":                        "农资供应商",
		"Apply":                                 "提交申请",
		"My applications":                       "我的申请",
		"My loans":                              "我的贷款",
		"Decision":                              "审批结果",
		"Score":                                 "评分",
		"Reasons":                               "理由",
		"Points":                                "分",
		"decision: approve":                     "已批准，款项已发放",
		"decision: refer":                       "转人工审核",
		"decision: decline":                     "未通过",
		"application approved":                  "已批准",
		"application referred":                  "待审核",
		"application declined":                  "未通过",
		"active loan":                           "还款中",
		"overdue loan":                          "逾期",
		"settled loan":                          "已还清",
		"instalment paid":                       "已还",
		"instalment partly":                     "部分已还",
		"instalment due":                        "本期",
		"instalment overdue":                    "逾期",
		"instalment upcoming":                   "未到期",
		"purpose farm_inputs":                   "农资（种子、化肥）",
		"purpose equipment":                     "农机具",
		"purpose livestock":                     "牲畜",
		"repaid by sales":                       "按销售额比例自动还款",
		"repaid by schedule":                    "按期还款",
		"Officer review":                        "人工审核",
		"Decline":                               "拒绝",
		"Reason (to decline)":                   "理由（拒绝时必填）",
		"Owed now":                              "当前欠款",
		"Outstanding":                           "剩余应还",
		"Repaid":                                "已还",
		"Principal":                             "本金",
		"Interest":                              "利息",
		"Due date":                              "到期日",
		"Schedule":                              "还款计划",
		"Statement":                             "对账单",
		"Repay from wallet":                     "从钱包还款",
		"Repay":                                 "还款",
		"Restructure":                           "贷款重组",
		"Instalments":                           "期数",
		"Months between":                        "间隔月数",
		"First due date":                        "首期到期日",
		"Reason":                                "原因",
		"by sales rule":                         "销售自动扣款",
		"Portfolio":                             "贷款组合",
		"Borrowers":                             "借款户数",
		"Lent":                                  "累计放款",
		"Overdue loans":                         "逾期笔数",
		"Overdue amount":                        "逾期金额",
		"Default rate":                          "违约率",
		"Repayment rate":                        "还款率",
		"Days late":                             "逾期天数",
		"Penalties":                             "罚息",
		"Show":                                  "查看",
		"Rate":                                  "年利率",
		"Term":                                  "期限",
		"months":                                "个月",
		"Share of each sale":                    "每笔销售扣款比例",
		"Grace until harvest month":             "宽限至收获月",
		"No loan products yet.":                 "暂无贷款产品。",
		"Loan":                                  "贷款",
		"Owed by county (yuan)":                 "各县欠款（元）",
		"How the score was computed":            "评分依据",
		"The model":                             "评分模型",
		"Borrower":                              "借款户",
		"Open":                                  "未结清",
		"Cooperative":                           "合作社",
		"Cooperative loans":                     "合作社贷款",
		"Cooperative ID":                        "合作社编号",
		"Loans of the cooperative":              "合作社的贷款",
		"Applications of the cooperative":       "合作社的申请",
		"Apply for the cooperative":             "为合作社申请贷款",
		"Repay from the cooperative's cash":     "从合作社资金还款",
		"Cooperatives borrowing":                "借款合作社",
		"Lent to cooperatives":                  "向合作社放款",
		"borrower household":                    "农户",
		"borrower cooperative":                  "合作社",
		"A cooperative counts as one borrower.": "一个合作社计为一个借款人。",
		"Or a cooperative":                      "或合作社",
	})
}

// loanHousehold is the household a loan page is about: the caller's own, or the
// one an officer named in ?household=.
func loanHousehold(r *http.Request, u access.User) string {
	if u.HouseholdID != "" {
		return u.HouseholdID
	}
	return strings.TrimSpace(r.FormValue("household"))
}

// loanCoop is the farm cooperative a loan page is about: the one named in ?coop=
// (an officer's choice, or one of a manager's cooperatives), else a manager's
// first cooperative. Households have none.
func (s *Server) loanCoop(r *http.Request, u access.User, managed []credit.CoopRef) string {
	if u.HouseholdID != "" {
		return ""
	}
	if c := strings.TrimSpace(r.FormValue("coop")); c != "" {
		return c
	}
	if len(managed) > 0 && loanHousehold(r, u) == "" {
		return managed[0].ID
	}
	return ""
}

// managesCoop reports whether u manages the cooperative (a manager's own).
func managesCoop(managed []credit.CoopRef, id string) bool {
	for _, c := range managed {
		if c.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) loansPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderLoans(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderLoans(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	ps, err := s.Credit.Products(r.Context())
	if err != nil {
		return err
	}
	officer := u.Role == fishpond.RoleCountyOfficer || u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleFundAdmin
	data := map[string]any{"Products": ps, "Error": formErr, "Key": fmt.Sprintf("loan-%s-%d", u.ID, time.Now().UnixNano()), "Officer": officer}
	managed, err := s.Credit.ManagedCoops(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	data["Managed"] = managed
	if officer && s.Farms != nil {
		// Officers pick a cooperative of their counties by name.
		cs, err := s.Farms.Coops(r.Context(), u.Principal())
		if err != nil {
			return err
		}
		data["Coops"] = cs
	}
	if id := s.loanCoop(r, u, managed); id != "" {
		c, err := s.Credit.Coop(r.Context(), u.Principal(), id)
		if err != nil {
			return err
		}
		apps, err := s.Credit.CoopApplications(r.Context(), u.Principal(), id)
		if err != nil {
			return err
		}
		loans, err := s.Credit.CoopLoans(r.Context(), u.Principal(), id)
		if err != nil {
			return err
		}
		data["Coop"], data["Applications"], data["Loans"] = c, apps, loans
		data["CanApply"] = officer || managesCoop(managed, id)
	} else if hh := loanHousehold(r, u); hh != "" {
		apps, err := s.Credit.Applications(r.Context(), u.Principal(), hh)
		if err != nil {
			return err
		}
		loans, err := s.Credit.Loans(r.Context(), u.Principal(), hh)
		if err != nil {
			return err
		}
		data["Household"], data["Applications"], data["Loans"] = hh, apps, loans
		data["CanApply"] = true
	}
	v := s.view(r, "credit_loans")
	v.Title = translate(v.Lang, "Loans")
	v.Data = data
	s.render(w, r, status, "credit_loans", v)
	return nil
}

func (s *Server) loanApplySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	amount, err := fishpond.ParseMoney(r.FormValue("amount"))
	if err != nil {
		return s.renderLoans(w, r, u, http.StatusBadRequest, fishpond.Invalid("贷款申请有误 invalid application", map[string]string{"amount": "金额格式如 2000 或 2000.50 an amount such as 2000 or 2000.50"}))
	}
	hh, coop := loanHousehold(r, u), ""
	if u.HouseholdID == "" && strings.TrimSpace(r.FormValue("coop")) != "" {
		hh, coop = "", strings.TrimSpace(r.FormValue("coop"))
	}
	a, err := s.Credit.Apply(r.Context(), u.Principal(), credit.ApplicationRequest{IdempotencyKey: r.FormValue("key"), HouseholdID: hh, CoopID: coop,
		ProductID: r.FormValue("product"), Amount: amount, Note: r.FormValue("note"), Supplier: r.FormValue("supplier")})
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || e.Code == fishpond.EInternal {
			return err
		}
		return s.renderLoans(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/loans/applications/"+a.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) loanApplicationPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderApplication(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderApplication(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	a, err := s.Credit.Application(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	pr, err := s.Credit.Product(r.Context(), a.ProductID)
	if err != nil {
		return err
	}
	v := s.view(r, "credit_application")
	v.Title = translate(v.Lang, "Decision")
	coopName := ""
	if a.CoopID != "" {
		if c, err := s.Credit.Coop(r.Context(), u.Principal(), a.CoopID); err == nil {
			coopName = c.Name
		}
	}
	v.Data = map[string]any{"A": a, "Product": pr, "Error": formErr, "Model": s.Credit.Config().Model, "CoopName": coopName,
		"CanReview": a.Status == credit.AppReferred && (u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleFundAdmin || (u.Role == fishpond.RoleCountyOfficer && u.Principal().CanSeeCounty(a.CountyCode)))}
	s.render(w, r, status, "credit_application", v)
	return nil
}

func (s *Server) loanQueuePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	q, err := s.Credit.Queue(r.Context(), u.Principal(), 200)
	if err != nil {
		return err
	}
	// Cooperatives' names, for the officer to know whose application it is.
	names := map[string]string{}
	for _, a := range q {
		if _, ok := names[a.CoopID]; a.CoopID != "" && !ok {
			if c, err := s.Credit.Coop(r.Context(), u.Principal(), a.CoopID); err == nil {
				names[a.CoopID] = c.Name
			}
		}
	}
	v := s.view(r, "credit_queue")
	v.Title = translate(v.Lang, "Review queue")
	v.Data = map[string]any{"Queue": q, "CoopNames": names}
	s.render(w, r, http.StatusOK, "credit_queue", v)
	return nil
}

func (s *Server) loanReviewSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	a, err := s.Credit.Review(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("decision") == "approve", r.FormValue("note"))
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || e.Code == fishpond.EInternal {
			return err
		}
		return s.renderApplication(w, r, u, statusOf[e.Code], e)
	}
	if r.FormValue("back") == "queue" {
		http.Redirect(w, r, "/loans/queue", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/loans/applications/"+a.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) loanPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderLoan(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderLoan(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	st, err := s.Credit.Statement(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	l := st.Loan
	v := s.view(r, "credit_loan")
	v.Title = translate(v.Lang, "Loan")
	// Newest movements first on a phone.
	lines := make([]credit.StatementLine, len(st.Lines))
	for i, ln := range st.Lines {
		lines[len(lines)-1-i] = ln
	}
	p := u.Principal()
	borrowerActs := u.HouseholdID != "" && u.HouseholdID == l.HouseholdID
	coopName := ""
	if l.CoopID != "" {
		managed, err := s.Credit.ManagedCoops(r.Context(), p)
		if err != nil {
			return err
		}
		borrowerActs = managesCoop(managed, l.CoopID)
		if c, err := s.Credit.Coop(r.Context(), p, l.CoopID); err == nil {
			coopName = c.Name
		}
	}
	v.Data = map[string]any{"L": l, "Lines": lines, "Restructurings": st.Restructurings, "Error": formErr, "CoopName": coopName,
		"Key":         fmt.Sprintf("repay-%s-%d", l.ID, time.Now().UnixNano()),
		"CanRepay":    l.Status != credit.StatusSettled && (borrowerActs || u.Role == fishpond.RoleAdmin || (u.Role == fishpond.RoleCountyOfficer && p.CanSeeCounty(l.CountyCode))),
		"CanRestruct": l.Status != credit.StatusSettled && (u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleFundAdmin || (u.Role == fishpond.RoleCountyOfficer && p.CanSeeCounty(l.CountyCode)))}
	s.render(w, r, status, "credit_loan", v)
	return nil
}

func (s *Server) loanRepaySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	amount, err := fishpond.ParseMoney(r.FormValue("amount"))
	if err == nil {
		_, err = s.Credit.Repay(r.Context(), u.Principal(), r.PathValue("id"), amount, r.FormValue("key"))
	} else {
		err = fishpond.Invalid("还款有误 invalid repayment", map[string]string{"amount": "金额格式如 200 或 200.50 an amount such as 200 or 200.50"})
	}
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || e.Code == fishpond.EInternal {
			return err
		}
		return s.renderLoan(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/loans/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) loanRestructureSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	n, _ := strconv.Atoi(r.FormValue("instalments"))
	iv, _ := strconv.Atoi(r.FormValue("interval"))
	_, err := s.Credit.Restructure(r.Context(), u.Principal(), r.PathValue("id"), credit.RestructureRequest{Instalments: n, IntervalMonths: iv,
		FirstDue: r.FormValue("first_due"), Reason: r.FormValue("reason")})
	if err != nil {
		e := asError(err)
		if e.Code == fishpond.ENotFound || e.Code == fishpond.EInternal {
			return err
		}
		return s.renderLoan(w, r, u, statusOf[e.Code], e)
	}
	http.Redirect(w, r, "/loans/"+r.PathValue("id"), http.StatusSeeOther)
	return nil
}

func (s *Server) loanPortfolioPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Credit.Portfolio(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	var tot credit.CountyPortfolio
	type item struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	chart := []item{}
	for _, c := range ps {
		tot.Borrowers += c.Borrowers
		tot.CoopBorrowers += c.CoopBorrowers
		tot.CoopLoans += c.CoopLoans
		tot.CoopLent += c.CoopLent
		tot.Loans += c.Loans
		tot.Open += c.Open
		tot.Lent += c.Lent
		tot.Owed += c.Owed
		tot.Repaid += c.Repaid
		tot.DueToDate += c.DueToDate
		tot.OverdueLoans += c.OverdueLoans
		tot.OverdueAmount += c.OverdueAmount
		tot.Defaulted += c.Defaulted
		chart = append(chart, item{c.CountyName, c.Owed.String()})
	}
	v := s.view(r, "credit_portfolio")
	v.Title = translate(v.Lang, "Portfolio")
	v.Data = map[string]any{"Counties": ps, "Total": tot, "Chart": chart}
	s.render(w, r, http.StatusOK, "credit_portfolio", v)
	return nil
}
