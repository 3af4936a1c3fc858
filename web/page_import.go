package web

import (
	"net/http"

	"fishpond"
	"fishpond/access"
	"fishpond/registry"
)

// editableCounties lists the counties the user may import into.
func (s *Server) editableCounties(r *http.Request, u access.User) ([]registry.County, error) {
	p := u.Principal()
	var out []registry.County
	if p.Role == fishpond.RoleAdmin {
		t := true
		cs, _, err := s.Registry.Counties(r.Context(), registry.CountyFilter{Poverty: &t, Limit: 1000})
		return cs, err
	}
	for _, code := range u.Counties {
		if !p.CanEditRegistry(code) {
			continue
		}
		c, err := s.Registry.County(r.Context(), code)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.editableCounties(r, u)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return fishpond.Errorf(fishpond.EForbidden, "your role cannot import households / 您的角色不能导入农户")
	}
	v := s.view(r, "import")
	v.Title = translate(v.Lang, "Import households")
	v.Data = map[string]any{"Counties": cs, "County": r.URL.Query().Get("county")}
	s.render(w, r, http.StatusOK, "import", v)
	return nil
}

func (s *Server) importSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.editableCounties(r, u)
	if err != nil {
		return err
	}
	v := s.view(r, "import")
	v.Title = translate(v.Lang, "Import households")
	data := map[string]any{"Counties": cs}
	v.Data = data
	name, body, err := s.uploadedFile(w, r)
	county := r.FormValue("county")
	data["County"] = county
	if err == nil {
		var rep registry.ImportReport
		rep, err = s.Registry.Import(r.Context(), u.Principal(), county, name, body)
		if err == nil {
			data["Report"] = rep
			data["File"] = name
		}
	}
	if err != nil {
		e := asError(err)
		s.logError(r, e)
		data["Error"] = e
		s.render(w, r, statusOf[e.Code], "import", v)
		return nil
	}
	s.render(w, r, http.StatusOK, "import", v)
	return nil
}
