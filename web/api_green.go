package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/green"
)

func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/green/conversions", s.apiGreenConversions},
			{"POST", "/api/v1/green/actions", s.apiGreenActions},
			{"GET", "/api/v1/green/energy", s.apiGreenEnergy},
			{"POST", "/api/v1/green/energy/collect", s.apiGreenCollect},
			{"GET", "/api/v1/green/friends", s.apiGreenFriends},
			{"POST", "/api/v1/green/friends", s.apiGreenAddFriend},
			{"PUT", "/api/v1/green/friend-share", s.apiGreenFriendShare},
			{"POST", "/api/v1/green/friends/{user}/drops/{action}/collect", s.apiGreenCollectFriend},
			{"GET", "/api/v1/green/projects", s.apiGreenProjects},
			{"POST", "/api/v1/green/projects", s.apiGreenCreateProject},
			{"GET", "/api/v1/green/projects/{id}", s.apiGreenProject},
			{"POST", "/api/v1/green/projects/{id}/redeem", s.apiGreenRedeem},
			{"GET", "/api/v1/green/certificates/{code}", s.apiGreenCertificate},
			{"GET", "/api/v1/green/projects/{id}/jobs", s.apiGreenJobs},
			{"POST", "/api/v1/green/projects/{id}/jobs", s.apiGreenAssignJob},
			{"POST", "/api/v1/green/jobs/{id}/work", s.apiGreenSubmitWork},
			{"GET", "/api/v1/green/projects/{id}/work", s.apiGreenWorkList},
			{"POST", "/api/v1/green/work/{id}/verify", s.apiGreenVerify},
			{"POST", "/api/v1/green/projects/{id}/audits", s.apiGreenDrawAudit},
			{"POST", "/api/v1/green/audits/{id}/checks", s.apiGreenCheck},
			{"GET", "/api/v1/green/metrics", s.apiGreenMetrics},
		}
	})
}

func (s *Server) apiGreenConversions(w http.ResponseWriter, r *http.Request, u access.User) error {
	out := []map[string]any{}
	for _, c := range green.Conversions {
		out = append(out, map[string]any{"kind": c.Kind, "unit": c.Unit, "grams": c.Grams, "per_units": c.PerUnits, "daily_cap_g": c.DailyCap,
			"partner_may_report": c.Partner, "label": c.Label})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out, "window_hours": int64(s.Green.Window() / time.Hour)})
	return nil
}

type greenActionIn struct {
	ActionID   string    `json:"action_id"`
	User       string    `json:"user"`
	Kind       string    `json:"kind"`
	Quantity   int64     `json:"quantity"`
	OccurredAt time.Time `json:"occurred_at"`
}

// apiGreenActions is the partner contract: a partner (role partner, or an admin)
// reports up to 1,000 actions of users it knows by login name. Each action id is
// the partner's own and is made unique by prefixing the partner's user id, so a
// retried call never counts an action twice. Each action gets its own result.
func (s *Server) apiGreenActions(w http.ResponseWriter, r *http.Request, u access.User) error {
	if u.Role != fishpond.RolePartner && u.Role != fishpond.RoleAdmin {
		return fishpond.Errorf(fishpond.EForbidden, "只有合作方可以上报低碳行为 only partners report low-carbon actions")
	}
	var in struct {
		Actions []greenActionIn `json:"actions"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Actions) == 0 || len(in.Actions) > 1000 {
		return fishpond.Invalid("须有 1 至 1000 条行为 1 to 1000 actions", map[string]string{"actions": "1 to 1000"})
	}
	// Action ids are the reporter's own, made unique by its id: an organisation's
	// keys (before and after a rotation) and members share one, so a retry through
	// another key is still a replay.
	reporter := u.ID
	if u.PartnerID != "" {
		reporter = "org:" + u.PartnerID
	}
	ids := map[string]string{}
	actions := make([]green.Action, len(in.Actions))
	unknown := map[int]bool{}
	for i, a := range in.Actions {
		id, ok := ids[a.User]
		if !ok && a.User != "" {
			if usr, err := s.Access.UserByName(r.Context(), a.User); err == nil && !usr.Disabled {
				id = usr.ID
			}
			ids[a.User] = id
		}
		if id == "" {
			unknown[i] = true
		}
		actionID := ""
		if a.ActionID != "" {
			actionID = "partner:" + reporter + ":" + a.ActionID
		}
		actions[i] = green.Action{ID: actionID, UserID: id, Kind: a.Kind, Quantity: a.Quantity, At: a.OccurredAt, Source: "partner:" + reporter}
	}
	res, err := s.Green.Record(r.Context(), actions, true)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(res))
	for i, x := range res {
		m := map[string]any{"action_id": in.Actions[i].ActionID}
		switch {
		case unknown[i]:
			m["error"] = map[string]any{"code": fishpond.EInvalid, "message": "用户不存在 unknown user", "fields": map[string]string{"user": "no such user"}}
		case x.Err != nil:
			e := asError(x.Err)
			m["error"] = map[string]any{"code": e.Code, "message": e.Message, "fields": e.Fields}
		default:
			m["grams"], m["capped"], m["replayed"], m["expires_at"] = x.Grams, x.Capped, x.Replayed, x.Expires
		}
		out[i] = m
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

func dropJSON(d green.Drop, now time.Time) map[string]any {
	return map[string]any{"action_id": d.ActionID, "kind": d.Kind, "quantity": d.Quantity, "grams": d.Grams, "friend_g": d.FriendG,
		"ripe_at": d.RipeAt, "expires_at": d.ExpiresAt, "ripe": d.Ripe(now)}
}

func (s *Server) apiGreenEnergy(w http.ResponseWriter, r *http.Request, u access.User) error {
	a, err := s.Green.Account(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	drops, err := s.Green.Drops(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	now := time.Now()
	ds := []map[string]any{}
	for _, d := range drops {
		ds = append(ds, dropJSON(d, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"balance_g": a.Balance, "collected_g": a.Collected, "spent_g": a.Spent, "drops": ds})
	return nil
}

func (s *Server) apiGreenCollect(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Green.Collect(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"drops": c.Drops, "grams": c.Grams})
	return nil
}

func (s *Server) apiGreenFriends(w http.ResponseWriter, r *http.Request, u access.User) error {
	fs, err := s.Green.Friends(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	now := time.Now()
	out := []map[string]any{}
	for _, f := range fs {
		ripe := []map[string]any{}
		for _, d := range f.Ripe {
			ripe = append(ripe, dropJSON(d, now))
		}
		out = append(out, map[string]any{"user_id": f.UserID, "name": f.Name, "mutual": f.Mutual, "share_bp": f.ShareBp, "ripe": ripe})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) addFriend(r *http.Request, u access.User, name string) error {
	f, err := s.Access.UserByName(r.Context(), strings.TrimSpace(name))
	if err != nil || f.Disabled {
		return fishpond.Invalid("用户不存在 no such user", map[string]string{"name": "请输入好友的登录名 your friend's login name"})
	}
	return s.Green.AddFriend(r.Context(), u.Principal(), u.Name, f.ID, f.Name)
}

func (s *Server) apiGreenAddFriend(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.addFriend(r, u, in.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiGreenFriendShare(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		ShareBp int64 `json:"share_bp"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Green.SetFriendShare(r.Context(), u.Principal(), in.ShareBp); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiGreenCollectFriend(w http.ResponseWriter, r *http.Request, u access.User) error {
	g, err := s.Green.CollectFromFriend(r.Context(), u.Principal(), r.PathValue("user"), r.PathValue("action"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"grams": g})
	return nil
}

func projectJSON(p green.Project) map[string]any {
	return map[string]any{"id": p.ID, "kind": p.Kind, "county_code": p.CountyCode, "county": p.CountyName, "name": p.Name, "species": p.Species,
		"partner": p.Partner, "place": p.Place, "lat": p.Lat, "lon": p.Lon, "price_g": p.PriceG, "capacity": p.Capacity, "redeemed": p.Redeemed,
		"planted": p.Planted, "checked": p.Checked, "survived": p.Survived, "survival_bp": p.SurvivalBp(), "survival_target_bp": p.SurvivalTargetBp,
		"season_from": p.SeasonFrom, "season_to": p.SeasonTo, "planting_wage_fen": int64(p.PlantingWage), "guarding_wage_fen": int64(p.GuardingWage)}
}

func (s *Server) apiGreenProjects(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Green.Projects(r.Context(), r.URL.Query().Get("county"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, p := range ps {
		out = append(out, projectJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiGreenProject(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Green.Project(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, projectJSON(p))
	return nil
}

func (s *Server) apiGreenCreateProject(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Kind             string  `json:"kind"`
		CountyCode       string  `json:"county_code"`
		Name             string  `json:"name"`
		Species          string  `json:"species"`
		Partner          string  `json:"partner"`
		Place            string  `json:"place"`
		Lat              float64 `json:"lat"`
		Lon              float64 `json:"lon"`
		PriceG           int64   `json:"price_g"`
		Capacity         int64   `json:"capacity"`
		SurvivalTargetBp int64   `json:"survival_target_bp"`
		SeasonFrom       int     `json:"season_from"`
		SeasonTo         int     `json:"season_to"`
		PlantingWageFen  int64   `json:"planting_wage_fen"`
		GuardingWageFen  int64   `json:"guarding_wage_fen"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Green.CreateProject(r.Context(), u.Principal(), green.ProjectInput{Kind: in.Kind, CountyCode: in.CountyCode, Name: in.Name, Species: in.Species,
		Partner: in.Partner, Place: in.Place, Lat: in.Lat, Lon: in.Lon, PriceG: in.PriceG, Capacity: in.Capacity, SurvivalTargetBp: in.SurvivalTargetBp,
		SeasonFrom: in.SeasonFrom, SeasonTo: in.SeasonTo, PlantingWage: fishpond.Money(in.PlantingWageFen), GuardingWage: fishpond.Money(in.GuardingWageFen)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, projectJSON(p))
	return nil
}

func certificateJSON(c green.Certificate) map[string]any {
	spots := []map[string]any{}
	for _, sp := range c.TreeSpots {
		spots = append(spots, map[string]any{"lat": sp.Lat, "lon": sp.Lon, "planted_at": sp.PlantedAt, "state": sp.State})
	}
	return map[string]any{"code": c.Code, "project": projectJSON(c.Project), "quantity": c.Quantity, "grams": c.Grams, "issued_at": c.IssuedAt,
		"planted": c.Planted, "survived": c.Survived, "trees": spots, "replayed": c.Replayed}
}

func (s *Server) apiGreenRedeem(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Quantity int64 `json:"quantity"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, err := s.Green.Redeem(r.Context(), u.Principal(), r.PathValue("id"), in.Quantity, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	writeCreated(w, c.Replayed, certificateJSON(c))
	return nil
}

func (s *Server) apiGreenCertificate(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Green.CertificateByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certificateJSON(c))
	return nil
}

func jobJSON(j green.Job) map[string]any {
	return map[string]any{"id": j.ID, "project_id": j.ProjectID, "household_id": j.HouseholdID, "household_no": j.HouseholdNo, "kind": j.Kind, "created_at": j.CreatedAt}
}

func (s *Server) apiGreenJobs(w http.ResponseWriter, r *http.Request, u access.User) error {
	js, err := s.Green.Jobs(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, j := range js {
		out = append(out, jobJSON(j))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiGreenAssignJob(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		HouseholdID string `json:"household_id"`
		Kind        string `json:"kind"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	j, err := s.Green.AssignJob(r.Context(), u.Principal(), r.PathValue("id"), in.HouseholdID, in.Kind)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, jobJSON(j))
	return nil
}

func workJSON(x green.Work) map[string]any {
	return map[string]any{"id": x.ID, "job_id": x.JobID, "project_id": x.ProjectID, "household_id": x.HouseholdID, "kind": x.Kind,
		"date": x.Date.Format("2006-01-02"), "quantity": x.Quantity, "lat": x.Lat, "lon": x.Lon, "taken_at": x.TakenAt, "geo_source": x.GeoSource, "photo_sha256": x.PhotoSHA256,
		"status": x.Status, "reason": x.Reason, "wage_fen": int64(x.Wage), "transfer_id": x.TransferID, "replayed": x.Replayed}
}

// workInput reads a multipart work report: photo, date, quantity, and lat, lon and
// taken_at (RFC 3339) from the phone; the last three may be left out when the photo
// carries its own GPS and time tags.
func workInput(w http.ResponseWriter, r *http.Request) (green.WorkInput, func(), error) {
	r.Body = http.MaxBytesReader(w, r.Body, 6<<20)
	if err := r.ParseMultipartForm(6 << 20); err != nil {
		return green.WorkInput{}, nil, fishpond.Invalid("须以 multipart 上传照片 send the photo as multipart/form-data", map[string]string{"photo": "required"})
	}
	f := map[string]string{}
	num := func(k string) float64 { // blank: the photo's own GPS tags must say
		if strings.TrimSpace(r.FormValue(k)) == "" {
			return 0
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(r.FormValue(k)), 64)
		if err != nil {
			f[k] = "须为数字 a number"
		}
		return v
	}
	in := green.WorkInput{Date: r.FormValue("date"), Lat: num("lat"), Lon: num("lon"), Key: r.Header.Get("Idempotency-Key")}
	if in.Key == "" {
		in.Key = r.FormValue("idempotency_key")
	}
	q, err := strconv.ParseInt(r.FormValue("quantity"), 10, 64)
	if err != nil {
		f["quantity"] = "须为整数 a whole number"
	}
	in.Quantity = q
	if v := r.FormValue("taken_at"); v == "" {
		in.TakenAt = time.Time{} // the photo's own time tag must say
	} else if in.TakenAt, err = time.Parse(time.RFC3339, v); err != nil {
		f["taken_at"] = "拍摄时间 RFC 3339, e.g. 2026-04-10T09:30:00+08:00"
	}
	file, _, err := r.FormFile("photo")
	if err != nil {
		f["photo"] = "须上传照片 a photo is required"
	}
	if len(f) > 0 {
		if file != nil {
			file.Close()
		}
		return in, nil, fishpond.Invalid("工作记录无效 invalid work report", f)
	}
	in.Photo = file
	return in, func() { file.Close() }, nil
}

func (s *Server) apiGreenSubmitWork(w http.ResponseWriter, r *http.Request, u access.User) error {
	in, done, err := workInput(w, r)
	if err != nil {
		return err
	}
	defer done()
	in.JobID = r.PathValue("id")
	x, err := s.Green.SubmitWork(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	writeCreated(w, x.Replayed, workJSON(x))
	return nil
}

func (s *Server) apiGreenWorkList(w http.ResponseWriter, r *http.Request, u access.User) error {
	ws, err := s.Green.WorkList(r.Context(), u.Principal(), r.PathValue("id"), r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, x := range ws {
		out = append(out, workJSON(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiGreenVerify(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Approve bool   `json:"approve"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	x, err := s.Green.VerifyWork(r.Context(), u.Principal(), r.PathValue("id"), in.Approve, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, workJSON(x))
	return nil
}

func greenAuditJSON(a green.Audit) map[string]any {
	trees := []map[string]any{}
	for _, t := range a.Trees {
		trees = append(trees, map[string]any{"tree_id": t.TreeID, "lat": t.Lat, "lon": t.Lon, "planted_at": t.PlantedAt, "result": t.Result})
	}
	checked, alive := a.Checked()
	return map[string]any{"id": a.ID, "project_id": a.ProjectID, "seed": a.Seed, "sample_size": a.SampleSize, "drawn_at": a.DrawnAt,
		"checked": checked, "alive": alive, "trees": trees}
}

func (s *Server) apiGreenDrawAudit(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Seed string `json:"seed"`
		Size int    `json:"size"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Green.DrawAudit(r.Context(), u.Principal(), r.PathValue("id"), in.Seed, in.Size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, greenAuditJSON(a))
	return nil
}

func (s *Server) apiGreenCheck(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		TreeID string `json:"tree_id"`
		Alive  bool   `json:"alive"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.Green.RecordCheck(r.Context(), u.Principal(), r.PathValue("id"), in.TreeID, in.Alive); err != nil {
		return err
	}
	a, err := s.Green.Audit(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, greenAuditJSON(a))
	return nil
}

func (s *Server) apiGreenMetrics(w http.ResponseWriter, r *http.Request, u access.User) error {
	q := r.URL.Query()
	per, err := fishpond.ParsePeriod(q.Get("period"))
	if err != nil {
		return fishpond.Invalid("期间无效 invalid period", map[string]string{"period": err.Error()})
	}
	from, to := per.Bounds()
	m, err := s.Green.Metrics(r.Context(), q.Get("county"), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"period": per, "county": m.County, "participants": m.Participants, "energy_collected_g": m.EnergyCollected,
		"energy_expired_g": m.EnergyExpired, "trees_redeemed": m.TreesRedeemed, "trees_planted": m.TreesPlanted, "trees_checked": m.TreesChecked,
		"trees_survived": m.TreesSurvived, "area_adopted_m2": m.AreaAdopted, "green_jobs": m.GreenJobs, "wages_paid_fen": int64(m.WagesPaid)})
	return nil
}
