package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/green"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		m.HandleFunc("GET /green", s.page(s.greenPage))
		m.HandleFunc("POST /green/collect", s.page(s.greenCollectSubmit))
		m.HandleFunc("POST /green/friends", s.page(s.greenFriendSubmit))
		m.HandleFunc("POST /green/share", s.page(s.greenShareSubmit))
		m.HandleFunc("POST /green/friends/{user}/drops/{action}", s.page(s.greenFriendCollectSubmit))
		m.HandleFunc("GET /green/projects/{id}", s.public(s.greenProjectPage))
		m.HandleFunc("POST /green/projects/{id}/redeem", s.page(s.greenRedeemSubmit))
		m.HandleFunc("GET /green/certificates/{code}", s.public(s.greenCertificatePage))
		m.HandleFunc("GET /green/console", s.page(s.greenConsolePage))
		m.HandleFunc("POST /green/projects/{id}/jobs", s.page(s.greenAssignSubmit))
		m.HandleFunc("POST /green/jobs/{id}/work", s.page(s.greenWorkSubmit))
		m.HandleFunc("POST /green/work/{id}/verify", s.page(s.greenVerifySubmit))
		m.HandleFunc("GET /green/work/{id}/photo", s.page(s.greenWorkPhoto))
		m.HandleFunc("POST /green/projects/{id}/audits", s.page(s.greenAuditSubmit))
		m.HandleFunc("POST /green/audits/{id}/checks", s.page(s.greenCheckSubmit))
	})
	addMessages(map[string]string{
		"Conversion table": "能量换算表",
		"Progress":         "进展",
		"Protects":         "保护对象",
		"parcel":           "件包裹",
		"receipt":          "张小票",
		"step":             "步",
		"ride":             "次",
		"trees":            "棵树",
		"tree":             "棵",
		"Green energy":     "绿色能量",
		"My energy":        "我的能量",
		"Energy balance":   "能量余额",
		"Collect all":      "全部收取",
		"Ripe":             "可收取",
		"Ripening":         "生长中",
		"expires":          "过期于",
		"No energy waiting. Earn it by shopping with consolidated shipping, e-receipts, walking or taking the bus.": "暂无待收能量。合并发货、电子小票、步行、乘公交都能获得能量。",
		"Friends":                                "好友",
		"Add a friend":                           "添加好友",
		"Friend's login name":                    "好友登录名",
		"Add":                                    "添加",
		"waiting for them to add you back":       "等待对方回加",
		"added you: add them back":               "添加了你，回加即成为好友",
		"Collect":                                "收取",
		"Let friends collect":                    "允许好友收取",
		"of each ripe drop":                      "每份成熟能量的比例",
		"Plant a tree or adopt a protected area": "种树或认领保护地",
		"per tree":                               "每棵",
		"per m²":                                 "每平方米",
		"Redeem":                                 "兑换",
		"My certificates":                        "我的证书",
		"Certificate":                            "证书",
		"planted":                                "已种",
		"surviving":                              "成活",
		"Project":                                "项目",
		"Projects":                               "项目",
		"Partner":                                "合作机构",
		"Species":                                "树种",
		"Planting season":                        "种植季",
		"Survival":                               "成活率",
		"target":                                 "目标",
		"Redeemed":                               "已认领",
		"Planted":                                "已种植",
		"Area adopted":                           "已认领面积",
		"Green jobs":                             "生态岗位",
		"Green-jobs console":                     "生态岗位管理",
		"Assign a job":                           "安排工作",
		"planting":                               "种植",
		"guarding":                               "管护",
		"Assign":                                 "安排",
		"Report work":                            "上报工作",
		"Trees planted or days guarded":          "种植棵数或管护天数",
		"Latitude":                               "纬度",
		"Longitude":                              "经度",
		"Photo taken at":                         "拍摄时间",
		"Work date":                              "工作日期",
		"Submit":                                 "提交",
		"Work to verify":                         "待审核",
		"Approve and pay wages":                  "通过并发放工资",
		"Verified work":                          "已审核",
		"Survival audit":                         "成活抽查",
		"Draw a sample":                          "抽取样本",
		"Seed":                                   "随机种子",
		"Sample size":                            "样本量",
		"Alive":                                  "成活",
		"Dead":                                   "死亡",
		"Wage rate":                              "工资",
		"Location":                               "位置",
		"Energy price":                           "所需能量",
		"left":                                   "剩余",
		"The trees of this certificate":          "本证书的树",
		"Not planted yet: local households plant it in the planting season.": "尚未种植：当地农户会在种植季种下。",
		"No projects yet.": "暂无项目。",
		"Your jobs":        "我的工作",
		"submitted":        "待审核",
		"verified":         "已审核",
		"rejected":         "已驳回",
	})
}

// greenKey is a fresh idempotency key for a form, so a double-tapped button
// redeems once.
func greenKey() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func greenBack(w http.ResponseWriter, r *http.Request, path, msg string) {
	if msg != "" {
		path += "?msg=" + url.QueryEscape(msg)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

type greenDropView struct {
	green.Drop
	Ripe  bool
	Label string
}

func kindLabel(lang, kind string) string {
	c, ok := green.ConversionOf(kind)
	if !ok {
		return kind
	}
	zh, en, _ := strings.Cut(c.Label, " / ")
	if lang == "en" {
		return en
	}
	return zh
}

func (s *Server) greenPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx, p := r.Context(), u.Principal()
	acct, err := s.Green.Account(ctx, p)
	if err != nil {
		return err
	}
	drops, err := s.Green.Drops(ctx, p)
	if err != nil {
		return err
	}
	friends, err := s.Green.Friends(ctx, p)
	if err != nil {
		return err
	}
	share, err := s.Green.FriendShare(ctx, p)
	if err != nil {
		return err
	}
	projects, err := s.Green.Projects(ctx, "")
	if err != nil {
		return err
	}
	certs, err := s.Green.Certificates(ctx, p)
	if err != nil {
		return err
	}
	v := s.view(r, "green")
	now := time.Now()
	var dv []greenDropView
	var ripe int64
	for _, d := range drops {
		dv = append(dv, greenDropView{d, d.Ripe(now), kindLabel(v.Lang, d.Kind)})
		if d.Ripe(now) {
			ripe += d.Left()
		}
	}
	v.Title = translate(v.Lang, "Green energy")
	v.Data = map[string]any{"Account": acct, "Drops": dv, "RipeG": ripe, "Friends": friends, "SharePct": share / 100, "Projects": projects,
		"Certificates": certs, "Key": greenKey(), "Msg": r.URL.Query().Get("msg"), "Conversions": green.Conversions}
	s.render(w, r, http.StatusOK, "green", v)
	return nil
}

func (s *Server) greenCollectSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Green.Collect(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("+%d g", c.Grams)
	greenBack(w, r, "/green", msg)
	return nil
}

func (s *Server) greenFriendSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.addFriend(r, u, r.FormValue("name")); err != nil {
		return err
	}
	greenBack(w, r, "/green", "")
	return nil
}

func (s *Server) greenShareSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	pct, err := strconv.ParseInt(r.FormValue("pct"), 10, 64)
	if err != nil {
		return fishpond.Invalid("比例无效 invalid share", map[string]string{"pct": "0–30"})
	}
	if err := s.Green.SetFriendShare(r.Context(), u.Principal(), pct*100); err != nil {
		return err
	}
	greenBack(w, r, "/green", "")
	return nil
}

func (s *Server) greenFriendCollectSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	g, err := s.Green.CollectFromFriend(r.Context(), u.Principal(), r.PathValue("user"), r.PathValue("action"))
	if err != nil {
		return err
	}
	greenBack(w, r, "/green", fmt.Sprintf("+%d g", g))
	return nil
}

func (s *Server) greenRedeemSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	q, err := strconv.ParseInt(r.FormValue("quantity"), 10, 64)
	if err != nil {
		return fishpond.Invalid("数量无效 invalid quantity", map[string]string{"quantity": "a whole number"})
	}
	c, err := s.Green.Redeem(r.Context(), u.Principal(), r.PathValue("id"), q, r.FormValue("key"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/green/certificates/"+c.Code, http.StatusSeeOther)
	return nil
}

func (s *Server) greenProjectPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	pr, err := s.Green.Project(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.view(r, "green_project")
	v.Title = pr.Name
	// From pledge to surviving tree, as a bar each: people look, not read.
	tr := func(k string) string { return translate(v.Lang, k) }
	item := func(k string, n int64) chartItem { return chartItem{Name: tr(k), Value: int(n)} }
	var funnel []chartItem
	if pr.Kind == green.ProjectTree && pr.Redeemed > 0 {
		funnel = []chartItem{item("Redeemed", pr.Redeemed), item("Planted", pr.Planted), item("Checked", pr.Checked), item("Alive", pr.Survived)}
	}
	v.Data = map[string]any{"P": pr, "Key": greenKey(), "Funnel": funnel, "Manage": green.CanManage(u.Principal(), pr.CountyCode), "SignedIn": u.ID != "",
		"RedeemPct": pct64(pr.Redeemed, pr.Capacity), "PlantedPct": pct64(pr.Planted, pr.Redeemed), "SurvivalPct": float64(pr.SurvivalBp()) / 100,
		"TargetPct": float64(pr.SurvivalTargetBp) / 100}
	s.render(w, r, http.StatusOK, "green_project", v)
	return nil
}

func pct64(n, d int64) int64 {
	if d == 0 {
		return 0
	}
	return n * 100 / d
}

func (s *Server) greenCertificatePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Green.CertificateByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	v := s.view(r, "green_certificate")
	v.Title = translate(v.Lang, "Certificate") + " " + c.Code
	v.Data = c
	s.render(w, r, http.StatusOK, "green_certificate", v)
	return nil
}

type consoleProject struct {
	P      green.Project
	Jobs   []green.Job
	Todo   []green.Work
	Done   []green.Work
	Audits []green.Audit
}

func (s *Server) greenConsolePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx, p := r.Context(), u.Principal()
	v := s.view(r, "green_console")
	v.Title = translate(v.Lang, "Green-jobs console")
	data := map[string]any{"Msg": r.URL.Query().Get("msg"), "Key": greenKey(), "Today": time.Now().In(fishpond.ChinaTime).Format("2006-01-02")}
	if p.Role == fishpond.RoleHousehold {
		jobs, err := s.Green.Jobs(ctx, p, "")
		if err != nil {
			return err
		}
		work, err := s.Green.WorkList(ctx, p, "", "")
		if err != nil {
			return err
		}
		names := map[string]string{}
		for _, j := range jobs {
			if pr, err := s.Green.Project(ctx, j.ProjectID); err == nil {
				names[j.ProjectID] = pr.Name
			}
		}
		data["Jobs"], data["Work"], data["Names"] = jobs, work, names
	} else {
		all, err := s.Green.Projects(ctx, "")
		if err != nil {
			return err
		}
		var mine []consoleProject
		for _, pr := range all {
			if !green.CanManage(p, pr.CountyCode) {
				continue
			}
			cp := consoleProject{P: pr}
			if cp.Jobs, err = s.Green.Jobs(ctx, p, pr.ID); err != nil {
				return err
			}
			if cp.Todo, err = s.Green.WorkList(ctx, p, pr.ID, green.WorkSubmitted); err != nil {
				return err
			}
			if cp.Done, err = s.Green.WorkList(ctx, p, pr.ID, green.WorkVerified); err != nil {
				return err
			}
			if len(cp.Done) > 10 {
				cp.Done = cp.Done[:10]
			}
			if cp.Audits, err = s.Green.Audits(ctx, p, pr.ID); err != nil {
				return err
			}
			mine = append(mine, cp)
		}
		data["Projects"] = mine
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "green_console", v)
	return nil
}

func (s *Server) greenAssignSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Green.AssignJob(r.Context(), u.Principal(), r.PathValue("id"), strings.TrimSpace(r.FormValue("household")), r.FormValue("kind")); err != nil {
		return err
	}
	greenBack(w, r, "/green/console", "")
	return nil
}

func (s *Server) greenWorkSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	in, done, err := workInputForm(w, r)
	if err != nil {
		return err
	}
	defer done()
	in.JobID = r.PathValue("id")
	if _, err := s.Green.SubmitWork(r.Context(), u.Principal(), in); err != nil {
		return err
	}
	greenBack(w, r, "/green/console", "✓")
	return nil
}

// workInputForm reads the console's form, whose time field is a local China time
// (datetime-local) rather than RFC 3339.
func workInputForm(w http.ResponseWriter, r *http.Request) (green.WorkInput, func(), error) {
	r.Body = http.MaxBytesReader(w, r.Body, 6<<20)
	if err := r.ParseMultipartForm(6 << 20); err == nil {
		if t, err := time.ParseInLocation("2006-01-02T15:04", r.FormValue("taken_local"), fishpond.ChinaTime); err == nil {
			r.MultipartForm.Value["taken_at"] = []string{t.Format(time.RFC3339)}
		}
	}
	return workInput(w, r)
}

func (s *Server) greenVerifySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if _, err := s.Green.VerifyWork(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("approve") == "1", r.FormValue("reason")); err != nil {
		return err
	}
	greenBack(w, r, "/green/console", "✓")
	return nil
}

func (s *Server) greenWorkPhoto(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, ct, err := s.Green.WorkPhoto(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	io.Copy(w, f)
	return nil
}

func (s *Server) greenAuditSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	size, _ := strconv.Atoi(r.FormValue("size"))
	if _, err := s.Green.DrawAudit(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("seed"), size); err != nil {
		return err
	}
	greenBack(w, r, "/green/console", "")
	return nil
}

func (s *Server) greenCheckSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	if err := s.Green.RecordCheck(r.Context(), u.Principal(), r.PathValue("id"), r.FormValue("tree"), r.FormValue("alive") == "1"); err != nil {
		return err
	}
	greenBack(w, r, "/green/console", "")
	return nil
}
