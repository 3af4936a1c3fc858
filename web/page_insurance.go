package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/insurance"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /insurance", s.page(s.insurancePage))
		m.HandleFunc("POST /insurance/enrol", s.page(s.enrolSubmit))
		m.HandleFunc("POST /insurance/claims", s.page(s.claimSubmit))
		m.HandleFunc("POST /insurance/claims/{id}/review", s.page(s.claimReviewSubmit))
		m.HandleFunc("GET /funds/{name}", s.public(s.insuranceFundPage))
	})
	addMessages(map[string]string{
		"Health insurance":           "大病保险",
		"Insurance plan":             "保险计划",
		"Premium per person":         "每人保费",
		"Cover":                      "保障期",
		"Ages":                       "年龄",
		"Breadwinners only":          "限家庭主要劳动力",
		"Benefits":                   "保障项目",
		"Enrol":                      "参保",
		"Enrol members":              "为成员参保",
		"Insured":                    "已参保",
		"Claims":                     "理赔",
		"File a claim":               "申请理赔",
		"Insured person":             "被保险人",
		"Diagnosis category":         "疾病类别",
		"Hospital":                   "医院",
		"Bill (yuan)":                "医疗费用（元）",
		"Date of diagnosis":          "确诊/入院日期",
		"Documents (one per line)":   "材料（每行一份：诊断证明、发票）",
		"Submit":                     "提交",
		"Claims to review":           "待审理赔",
		"claim submitted":            "待审核",
		"claim flagged":              "待核查",
		"claim paid":                 "已赔付",
		"claim rejected":             "已拒绝",
		"flag duplicate":             "疑似重复报销",
		"flag outside_cover":         "不在保障期内",
		"flag over_limit":            "超过保障额度",
		"cover critical_illness":     "重大疾病",
		"cover accident":             "意外伤害",
		"cover hospitalisation":      "住院医疗",
		"Paid":                       "已赔付",
		"Fund":                       "基金",
		"Fund balance":               "基金余额",
		"From charity pledges":       "来自公益宝贝捐赠",
		"Donations":                  "社会捐款",
		"Premiums paid":              "已代缴保费",
		"Insured households":         "参保户数",
		"Insured persons":            "参保人数",
		"Claims paid":                "赔付件数",
		"Amount paid":                "赔付金额",
		"Coverage by county":         "各县参保情况",
		"Where the money comes from": "资金来源",
		"yuan":                       "元",
		"Public fund page":           "基金公开页",
	})
}

func (s *Server) insurancePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderInsurance(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderInsurance(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error) error {
	plans, err := s.Insurance.Plans(r.Context())
	if err != nil {
		return err
	}
	p := u.Principal()
	officer := u.Role == fishpond.RoleCountyOfficer || u.Role == fishpond.RoleAdmin || u.Role == fishpond.RoleFundAdmin
	data := map[string]any{"Plans": plans, "Error": formErr, "Officer": officer, "Key": fmt.Sprintf("claim-%s-%d", u.ID, time.Now().UnixNano()),
		"Today": insurance.Day(time.Now())}
	if officer {
		q, err := s.Insurance.ClaimQueue(r.Context(), p)
		if err != nil {
			return err
		}
		data["Queue"] = q
	}
	if hh := loanHousehold(r, u); hh != "" {
		h, err := s.Registry.Household(r.Context(), p, hh)
		if err != nil {
			return err
		}
		es, err := s.Insurance.Enrolments(r.Context(), p, hh)
		if err != nil {
			return err
		}
		cs, err := s.Insurance.Claims(r.Context(), p, hh)
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, m := range h.Members {
			names[m.ID] = m.Name
		}
		data["Household"], data["Members"], data["Enrolments"], data["Claims"], data["Names"] = hh, h.Members, es, cs, names
	}
	v := s.view(r, "insurance")
	v.Title = translate(v.Lang, "Health insurance")
	v.Data = data
	s.render(w, r, status, "insurance", v)
	return nil
}

func (s *Server) formError(w http.ResponseWriter, r *http.Request, u access.User, err error) error {
	e := asError(err)
	if e.Code == fishpond.ENotFound || e.Code == fishpond.EInternal {
		return err
	}
	return s.renderInsurance(w, r, u, statusOf[e.Code], e)
}

func (s *Server) enrolSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	hh := loanHousehold(r, u)
	if _, err := s.Insurance.Enrol(r.Context(), u.Principal(), r.FormValue("plan"), hh, r.Form["member"]); err != nil {
		return s.formError(w, r, u, err)
	}
	http.Redirect(w, r, "/insurance?household="+hh, http.StatusSeeOther)
	return nil
}

func (s *Server) claimSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	amount, err := fishpond.ParseMoney(r.FormValue("amount"))
	if err != nil {
		return s.formError(w, r, u, fishpond.Invalid("理赔申请有误 invalid claim", map[string]string{"amount": "金额格式如 3000 或 3000.50 an amount such as 3000"}))
	}
	var docs []string
	for _, d := range strings.Split(r.FormValue("documents"), "\n") {
		if d = strings.TrimSpace(d); d != "" {
			docs = append(docs, d)
		}
	}
	if _, err := s.Insurance.Submit(r.Context(), u.Principal(), insurance.ClaimRequest{IdempotencyKey: r.FormValue("key"), MemberID: r.FormValue("member"),
		Category: r.FormValue("category"), Hospital: r.FormValue("hospital"), Amount: amount, IncurredOn: r.FormValue("incurred_on"), Documents: docs}); err != nil {
		return s.formError(w, r, u, err)
	}
	http.Redirect(w, r, "/insurance?household="+loanHousehold(r, u), http.StatusSeeOther)
	return nil
}

func (s *Server) claimReviewSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Insurance.Review(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("decision") == "approve", r.FormValue("reason")); err != nil {
		return s.formError(w, r, u, err)
	}
	http.Redirect(w, r, "/insurance", http.StatusSeeOther)
	return nil
}

// fundPage is public: a fund's balance, where its money came from and whom it
// covers, without personal data.
func (s *Server) insuranceFundPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.Insurance.Fund(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	v := s.view(r, "insurance_fund")
	v.Title = translate(v.Lang, "Fund") + " " + f.Fund
	type item struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	v.Data = map[string]any{"F": f, "Sources": []item{{translate(v.Lang, "From charity pledges"), f.Pledges.String()}, {translate(v.Lang, "Donations"), f.Donations.String()}}}
	s.render(w, r, http.StatusOK, "insurance_fund", v)
	return nil
}
