package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/partners"
)

// The alliance's pages: an organisation applies (/partners/apply), its members
// manage keys, webhooks and see their usage in the portal (/partner), and admins
// approve organisations and set their grants (/admin/partners).
func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /partners/apply", s.public(s.partnerApplyPage))
		m.HandleFunc("POST /partners/apply", s.public(s.partnerApplySubmit))
		m.HandleFunc("GET /partner", s.page(s.partnerPortal))
		m.HandleFunc("POST /partner/keys", s.page(s.partnerKeySubmit))
		m.HandleFunc("POST /partner/keys/{id}/rotate", s.page(s.partnerKeyRotate))
		m.HandleFunc("POST /partner/keys/{id}/revoke", s.page(s.partnerKeyRevoke))
		m.HandleFunc("POST /partner/webhooks", s.page(s.partnerWebhookSubmit))
		m.HandleFunc("POST /partner/webhooks/{id}/active", s.page(s.partnerWebhookActive))
		m.HandleFunc("POST /partner/deliveries/{id}/redeliver", s.page(s.partnerRedeliver))
		m.HandleFunc("GET /admin/partners", s.page(s.partnersAdminPage))
		m.HandleFunc("POST /admin/partners/{id}/decision", s.page(s.partnerDecisionSubmit))
		m.HandleFunc("POST /admin/partners/{id}/grant", s.page(s.partnerGrantSubmit))
	})
	addMessages(map[string]string{
		"Partners":            "合作伙伴",
		"Partner portal":      "合作伙伴门户",
		"Technology alliance": "技术公益联盟",
		"An NGO, agency or company working on rural poverty?": "公益组织、政府机构或企业想参与乡村扶贫？",
		"Apply to join": "申请加入",
		"NGOs, government agencies and companies can use Fishpond's data within a granted scope: read aggregated data of their counties, subscribe to events, report sensor readings and low-carbon actions. Personal information never leaves the platform.": "公益组织、政府机构和企业可以在授权范围内使用鱼塘的数据：读取所辖县的汇总数据、订阅事件推送、上报传感器和低碳行为。个人信息不会离开平台。",
		"Organisation name":           "机构名称",
		"Kind":                        "类型",
		"ngo":                         "公益组织",
		"government":                  "政府机构",
		"company":                     "企业",
		"research":                    "研究机构",
		"Website":                     "网址",
		"Purpose":                     "数据用途",
		"Contact person":              "联系人",
		"Contact phone":               "联系电话",
		"Login for your first member": "第一位成员的登录账号",
		"Submit application":          "提交申请",
		"Application received":        "申请已收到",
		"Once an admin approves your organisation and grants it access, log in with the account you just created to issue API keys and webhooks in the partner portal.": "管理员审核通过并授权后，你可以用刚才的账号登录，在合作伙伴门户中创建 API 密钥和事件推送。",
		"pending":          "待审核",
		"approved":         "已通过",
		"rejected":         "已驳回",
		"suspended":        "已暂停",
		"Grant":            "授权",
		"Scopes":           "权限",
		"Calls per minute": "每分钟调用上限",
		"API keys":         "API 密钥",
		"New key":          "新建密钥",
		"Expires":          "过期时间",
		"Expires in days":  "有效天数",
		"Rotate":           "轮换",
		"Copy this key now; it will not be shown again.":            "请立即复制此密钥，它不会再次显示。",
		"Copy this signing secret now; it will not be shown again.": "请立即复制此签名密钥，它不会再次显示。",
		"Webhooks":             "事件推送",
		"New webhook":          "新建事件推送",
		"Event types":          "事件类型",
		"Webhook deliveries":   "推送记录",
		"Redeliver":            "重新推送",
		"Attempts":             "尝试次数",
		"delivered":            "已送达",
		"failed":               "失败",
		"Usage, last 30 days":  "近 30 天调用量",
		"Organisation members": "机构成员",
		"Pause":                "暂停",
		"Resume":               "恢复",
		"Active":               "启用",
		"Paused":               "已暂停",
		"Approve":              "通过",
		"Reject":               "驳回",
		"Suspend":              "暂停",
		"Reinstate":            "恢复",
		"Decision note":        "说明",
		"Save grant":           "保存授权",
		"County codes":         "县代码",
		"comma separated":      "用逗号分隔",
		"Waiting for approval": "等待审核",
		"Not granted yet":      "尚未授权",
		"Replaced":             "已被替换",
		"Signature":            "签名",
		"Every delivery carries Fishpond-Signature: t=<timestamp>,v1=<HMAC-SHA256(secret, timestamp + '.' + body)>. Verify it, refuse timestamps more than 5 minutes from your clock, and de-duplicate on Fishpond-Delivery.": "每次推送带有 Fishpond-Signature: t=<时间戳>,v1=<HMAC-SHA256(密钥, 时间戳 + \".\" + 请求体)>。请校验签名，拒绝与你的时钟相差 5 分钟以上的时间戳，并按 Fishpond-Delivery 去重。",
		"Succeeded":             "成功",
		"Refused":               "被拒绝",
		"Server errors":         "出错",
		"No organisations yet.": "还没有机构申请。",
		"Recent calls":          "最近调用",
		"All":                   "全部",
	})
}

func (s *Server) partnerApplyPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	v := s.view(r, "partner_apply")
	v.Title = translate(v.Lang, "Technology alliance")
	v.Data = map[string]any{"Kinds": partners.Kinds, "Form": map[string]string{"kind": "ngo"}}
	s.render(w, r, http.StatusOK, "partner_apply", v)
	return nil
}

func (s *Server) partnerApplySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	a := partners.Application{Name: r.FormValue("name"), Kind: r.FormValue("kind"), Website: r.FormValue("website"), Purpose: r.FormValue("purpose"),
		ContactName: r.FormValue("contact_name"), ContactPhone: r.FormValue("contact_phone"), UserName: r.FormValue("user_name"), Password: r.FormValue("password")}
	p, err := s.Partners.Apply(r.Context(), a)
	v := s.view(r, "partner_apply")
	v.Title = translate(v.Lang, "Technology alliance")
	if err != nil {
		e := asError(err)
		form := map[string]string{"name": a.Name, "kind": a.Kind, "website": a.Website, "purpose": a.Purpose, "contact_name": a.ContactName,
			"contact_phone": a.ContactPhone, "user_name": a.UserName}
		v.Data = map[string]any{"Kinds": partners.Kinds, "Form": form, "Error": e}
		s.render(w, r, statusOf[e.Code], "partner_apply", v)
		return nil
	}
	v.Data = map[string]any{"Done": p}
	s.render(w, r, http.StatusCreated, "partner_apply", v)
	return nil
}

type countyChoice struct{ Code, Name string }

func (s *Server) countyChoices(r *http.Request, codes []string) []countyChoice {
	out := make([]countyChoice, 0, len(codes))
	for _, c := range codes {
		name := c
		if cty, err := s.Registry.County(r.Context(), c); err == nil {
			name = cty.ProvinceName + " · " + cty.Name
		}
		out = append(out, countyChoice{c, name})
	}
	return out
}

func (s *Server) partnerPortal(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderPortal(w, r, u, nil, nil)
}

// renderPortal shows the organisation of the signed-in member; fresh holds a key
// or signing secret to show once, formErr a refused form.
func (s *Server) renderPortal(w http.ResponseWriter, r *http.Request, u access.User, fresh map[string]string, formErr *fishpond.Error) error {
	ctx, pr := r.Context(), u.Principal()
	p, err := s.Partners.PartnerOf(ctx, pr)
	if err != nil {
		return err
	}
	data := map[string]any{"P": p, "Fresh": fresh, "Error": formErr, "Counties": s.countyChoices(r, p.Counties), "Events": partners.WebhookEvents}
	scopes := []map[string]string{}
	for _, sc := range p.Scopes {
		scopes = append(scopes, map[string]string{"ID": sc, "Label": scopeLabel(lang(r), sc)})
	}
	data["Scopes"] = scopes
	if data["Keys"], err = s.Partners.Keys(ctx, pr, p.ID); err != nil {
		return err
	}
	if data["Webhooks"], err = s.Partners.Subscriptions(ctx, pr, p.ID); err != nil {
		return err
	}
	if data["Deliveries"], err = s.Partners.Deliveries(ctx, pr, p.ID, "", 20); err != nil {
		return err
	}
	if data["Members"], err = s.Partners.Members(ctx, pr, p.ID); err != nil {
		return err
	}
	us, err := s.Partners.Usage(ctx, pr, p.ID, time.Now().AddDate(0, 0, -30))
	if err != nil {
		return err
	}
	data["Recent"] = us.Recent
	if len(us.Days) > 0 {
		l := lang(r)
		var days []string
		var ok, refused, failed []int
		for _, d := range us.Days {
			days = append(days, d.Day[5:])
			ok, refused, failed = append(ok, d.OK), append(refused, d.Refused), append(failed, d.Failed)
		}
		bar := func(name string, v []int) map[string]any {
			return map[string]any{"name": translate(l, name), "type": "bar", "stack": "calls", "data": v}
		}
		data["Chart"] = map[string]any{
			"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{"bottom": 0},
			"grid":  map[string]any{"left": 8, "right": 8, "top": 8, "bottom": 32, "containLabel": true},
			"xAxis": map[string]any{"type": "category", "data": days}, "yAxis": map[string]any{"type": "value"},
			"series": []any{bar("Succeeded", ok), bar("Refused", refused), bar("Server errors", failed)},
		}
	}
	v := s.view(r, "partner_portal")
	v.Title = translate(v.Lang, "Partner portal")
	v.Data = data
	status := http.StatusOK
	if formErr != nil {
		status = statusOf[formErr.Code]
	}
	s.render(w, r, status, "partner_portal", v)
	return nil
}

func (s *Server) partnerKeySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Partners.PartnerOf(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	r.ParseForm()
	days, _ := strconv.Atoi(r.FormValue("days"))
	rate, _ := strconv.Atoi(r.FormValue("rate"))
	plain, _, err := s.Partners.CreateKey(r.Context(), u.Principal(), p.ID, partners.KeyInput{Label: r.FormValue("label"),
		Scopes: r.Form["scope"], Counties: r.Form["county"], TTL: time.Duration(days) * 24 * time.Hour, RatePerMinute: rate})
	if err != nil {
		return s.renderPortal(w, r, u, nil, asError(err))
	}
	// The secret is rendered once, in this response, and never again.
	return s.renderPortal(w, r, u, map[string]string{"Key": plain}, nil)
}

func (s *Server) partnerKeyRotate(w http.ResponseWriter, r *http.Request, u access.User) error {
	plain, _, err := s.Partners.RotateKey(r.Context(), u.Principal(), r.PathValue("id"), 24*time.Hour)
	if err != nil {
		return s.renderPortal(w, r, u, nil, asError(err))
	}
	return s.renderPortal(w, r, u, map[string]string{"Key": plain}, nil)
}

func (s *Server) partnerKeyRevoke(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Partners.RevokeKey(r.Context(), u.Principal(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/partner", http.StatusSeeOther)
	return nil
}

func (s *Server) partnerWebhookSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Partners.PartnerOf(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	r.ParseForm()
	secret, _, err := s.Partners.Subscribe(r.Context(), u.Principal(), p.ID, partners.SubscriptionInput{URL: r.FormValue("url"),
		EventTypes: r.Form["event"], Counties: r.Form["county"]})
	if err != nil {
		return s.renderPortal(w, r, u, nil, asError(err))
	}
	return s.renderPortal(w, r, u, map[string]string{"Secret": secret}, nil)
}

func (s *Server) partnerWebhookActive(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Partners.SetActive(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("active") == "true"); err != nil {
		return err
	}
	http.Redirect(w, r, "/partner", http.StatusSeeOther)
	return nil
}

func (s *Server) partnerRedeliver(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Partners.Redeliver(r.Context(), u.Principal(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/partner#deliveries", http.StatusSeeOther)
	return nil
}

func (s *Server) partnersAdminPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderPartnersAdmin(w, r, u, nil)
}

func (s *Server) renderPartnersAdmin(w http.ResponseWriter, r *http.Request, u access.User, formErr *fishpond.Error) error {
	status := partners.Status(r.URL.Query().Get("status"))
	ps, err := s.Partners.List(r.Context(), u.Principal(), status)
	if err != nil {
		return err
	}
	type row struct {
		P        partners.Partner
		Counties string
		Has      map[string]bool
	}
	rows := make([]row, 0, len(ps))
	for _, p := range ps {
		has := map[string]bool{}
		for _, sc := range p.Scopes {
			has[sc] = true
		}
		rows = append(rows, row{p, strings.Join(p.Counties, ", "), has})
	}
	scopes := []map[string]string{}
	for _, sc := range partners.Scopes {
		scopes = append(scopes, map[string]string{"ID": sc.ID, "Label": scopeLabel(lang(r), sc.ID)})
	}
	v := s.view(r, "partner_admin")
	v.Title = translate(v.Lang, "Partners")
	v.Data = map[string]any{"Rows": rows, "Scopes": scopes, "Status": string(status), "Error": formErr,
		"Statuses": []string{"pending", "approved", "suspended", "rejected"}}
	code := http.StatusOK
	if formErr != nil {
		code = statusOf[formErr.Code]
	}
	s.render(w, r, code, "partner_admin", v)
	return nil
}

func (s *Server) partnerDecisionSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Partners.Decide(r.Context(), u.Principal(), r.PathValue("id"), partners.Status(r.FormValue("status")), r.FormValue("note")); err != nil {
		return s.renderPartnersAdmin(w, r, u, asError(err))
	}
	http.Redirect(w, r, "/admin/partners", http.StatusSeeOther)
	return nil
}

func (s *Server) partnerGrantSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	r.ParseForm()
	rate, err := strconv.Atoi(strings.TrimSpace(r.FormValue("rate")))
	if err != nil {
		rate = -1
	}
	counties := strings.FieldsFunc(r.FormValue("counties"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' })
	if _, err := s.Partners.Grant(r.Context(), u.Principal(), r.PathValue("id"), r.Form["scope"], counties, rate); err != nil {
		return s.renderPartnersAdmin(w, r, u, asError(err))
	}
	http.Redirect(w, r, "/admin/partners", http.StatusSeeOther)
	return nil
}
