package web

import (
	"html"
	"net/http"
	"sort"
	"strings"
	"time"

	"fishpond/access"
	"fishpond/registry"
)

func (s *Server) countiesPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.countyFilter(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("limit") == "" {
		f.Limit = 100
	}
	cs, next, err := s.Registry.Counties(r.Context(), f)
	if err != nil {
		return err
	}
	ps, err := s.Registry.Provinces(r.Context())
	if err != nil {
		return err
	}
	v := s.view(r, "counties")
	v.Title = translate(v.Lang, "Counties")
	pov := ""
	if f.Poverty != nil && *f.Poverty {
		pov = "true"
	}
	// Scoped users see which counties are theirs.
	mine := map[string]bool{}
	for _, c := range u.Counties {
		mine[c] = true
	}
	v.Data = map[string]any{"Counties": cs, "Next": next, "Provinces": ps, "Province": f.ProvinceCode, "Poverty": pov, "Q": f.Query, "Mine": mine}
	s.render(w, r, http.StatusOK, "counties", v)
	return nil
}

// chartItem is one slice or bar in an ECharts chart.
type chartItem struct {
	Name      string         `json:"name"`
	Value     int            `json:"value"`
	ItemStyle map[string]any `json:"itemStyle,omitempty"`
}

// statusColors keep one colour per status on every chart: red for poor, purple
// for returned, amber for at risk, green for exited, as the status badges.
var statusColors = map[string]string{"poor": "#d92d20", "returned": "#9e77ed", "marginal": "#f79009", "exited": "#1f7a4d"}

func statusItem(name string, status string, n int) chartItem {
	return chartItem{Name: name, Value: n, ItemStyle: map[string]any{"color": statusColors[status]}}
}

func (s *Server) countyPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	code := r.PathValue("code")
	c, err := s.Registry.County(r.Context(), code)
	if err != nil {
		return err
	}
	v := s.view(r, "county")
	v.Title = c.Name
	data := map[string]any{"County": c}
	p := u.Principal()
	if p.CanSeeCounty(code) {
		st, err := s.Registry.CountyStats(r.Context(), p, code)
		if err != nil {
			return err
		}
		vs, err := s.Registry.Villages(r.Context(), p, code)
		if err != nil {
			return err
		}
		f, err := s.householdFilter(r)
		if err != nil {
			return err
		}
		f.CountyCode = code
		if r.URL.Query().Get("limit") == "" {
			f.Limit = 30
		}
		hs, next, err := s.Registry.Households(r.Context(), p, f)
		if err != nil {
			return err
		}
		var byStatus, byCause []chartItem
		for _, k := range []string{"poor", "marginal", "exited", "returned"} {
			if n := st.ByStatus[k]; n > 0 {
				byStatus = append(byStatus, statusItem(statusLabel(v.Lang, k), k, n))
			}
		}
		for _, cs := range registry.Causes {
			if n := st.ByCause[cs]; n > 0 {
				byCause = append(byCause, chartItem{Name: causeLabel(v.Lang, cs), Value: n})
			}
		}
		sort.Slice(byCause, func(i, j int) bool { return byCause[i].Value > byCause[j].Value })
		data["Stats"] = st
		data["Villages"] = vs
		data["Households"] = hs
		data["Next"] = next
		data["Filter"] = f
		data["Causes"] = registry.Causes
		data["Statuses"] = []string{"poor", "marginal", "exited", "returned"}
		data["ByStatus"] = byStatus
		data["ByCause"] = byCause
		data["CanImport"] = p.CanEditRegistry(code)
	}
	v.Data = data
	s.render(w, r, http.StatusOK, "county", v)
	return nil
}

func causeLabel(lang string, c registry.Cause) string {
	if lang == "en" {
		return c.English()
	}
	return c.Chinese()
}

func (s *Server) householdPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	h, err := s.Registry.Household(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c, err := s.Registry.County(r.Context(), h.CountyCode)
	if err != nil {
		return err
	}
	hist, err := s.Registry.History(r.Context(), u.Principal(), h.ID)
	if err != nil {
		return err
	}
	type histLine struct {
		At                    time.Time
		Actor, Action, Detail string
	}
	var lines []histLine
	for _, c := range hist {
		var parts []string
		for _, fc := range c.Changes {
			d := fc.Field
			if fc.Member != "" {
				d = fc.Member + " " + d
			}
			if fc.Old != "" || fc.New != "" {
				d += ": " + fc.Old + " → " + fc.New
			}
			parts = append(parts, d)
		}
		detail := strings.Join(parts, "; ")
		if len([]rune(detail)) > 300 {
			detail = string([]rune(detail)[:300]) + "…"
		}
		lines = append(lines, histLine{c.At, c.ActorName, c.Action, detail})
	}
	v := s.view(r, "household")
	v.Title = h.HeadName + " · " + h.Number
	v.Data = map[string]any{"H": h, "County": c, "History": lines, "CanReveal": u.Principal().CanRevealPII(h.CountyCode, h.ID),
		"Cause": causeLabel(v.Lang, h.PovertyCause)}
	s.render(w, r, http.StatusOK, "household", v)
	return nil
}

// revealFragment returns a member's full numbers as an HTML fragment for htmx; the
// registry records the read in the audit log.
func (s *Server) revealFragment(w http.ResponseWriter, r *http.Request, u access.User) error {
	id, phone, err := s.Registry.RevealMember(r.Context(), u.Principal(), r.PathValue("id"), "household page / 农户页面查看")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The phone row is swapped out of band so both full values appear in place.
	out := "<code>" + html.EscapeString(id) + "</code>"
	if phone != "" {
		out += `<dd id="phone-` + html.EscapeString(r.PathValue("id")) + `" hx-swap-oob="true"><code>` + html.EscapeString(phone) + "</code></dd>"
	}
	w.Write([]byte(out))
	return nil
}
