package web

import (
	"net/http"
	"time"

	"fishpond/access"
	"fishpond/registry"
)

// JSON shapes of registry objects: stable, snake_case, personal values masked by
// the registry unless revealed through the audited endpoint.

type provinceJSON struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Region string `json:"region"`
}

type countyJSON struct {
	Code           string `json:"code"`
	Name           string `json:"name"`
	PrefectureCode string `json:"prefecture_code"`
	PrefectureName string `json:"prefecture_name"`
	ProvinceCode   string `json:"province_code"`
	ProvinceName   string `json:"province_name"`
	Poverty        bool   `json:"poverty_county"`
	Region         string `json:"region"`
	ExitYear       int    `json:"exit_year,omitempty"`
	ListedName     string `json:"listed_name,omitempty"`
}

func toCounty(c registry.County) countyJSON {
	return countyJSON{c.Code, c.Name, c.PrefectureCode, c.PrefectureName, c.ProvinceCode, c.ProvinceName, c.Poverty, c.Region, c.ExitYear, c.ListedName}
}

type villageJSON struct {
	ID         string `json:"id"`
	CountyCode string `json:"county_code"`
	Town       string `json:"town"`
	Name       string `json:"name"`
	Households int    `json:"households"`
}

func toVillage(v registry.Village) villageJSON {
	return villageJSON{v.ID, v.CountyCode, v.Town, v.Name, v.Households}
}

type indicatorsJSON struct {
	FoodClothingSecure  bool   `json:"food_clothing_secure"`
	CompulsoryEducation bool   `json:"compulsory_education"`
	MedicalInsurance    bool   `json:"medical_insurance"`
	HousingSafety       string `json:"housing_safety"`
	SafeWater           bool   `json:"safe_water"`
}

type memberJSON struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Relationship string `json:"relationship"`
	Sex          string `json:"sex"`
	BirthDate    string `json:"birth_date"`
	IDNumber     string `json:"id_number"`
	Phone        string `json:"phone,omitempty"`
	Labour       string `json:"labour"`
	Health       string `json:"health"`
	Schooling    string `json:"schooling"`
	InSchool     bool   `json:"in_school"`
	Disability   string `json:"disability,omitempty"`
}

type householdJSON struct {
	ID             string         `json:"id"`
	CountyCode     string         `json:"county_code"`
	VillageID      string         `json:"village_id"`
	VillageName    string         `json:"village_name"`
	Town           string         `json:"town,omitempty"`
	Number         string         `json:"number"`
	HeadName       string         `json:"head_name"`
	RegisteredYear int            `json:"registered_year"`
	PovertyCause   string         `json:"poverty_cause"`
	Indicators     indicatorsJSON `json:"indicators"`
	Status         string         `json:"status"`
	StatusYear     int            `json:"status_year,omitempty"`
	Size           int            `json:"size"`
	Members        []memberJSON   `json:"members,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

func toMember(m registry.Member) memberJSON {
	return memberJSON{m.ID, m.Name, m.Relationship, m.Sex, m.BirthDate, m.IDNumber, m.Phone, m.Labour, m.Health, m.Schooling, m.InSchool, m.Disability}
}

func toHousehold(h registry.Household) householdJSON {
	out := householdJSON{ID: h.ID, CountyCode: h.CountyCode, VillageID: h.VillageID, VillageName: h.VillageName, Town: h.Town,
		Number: h.Number, HeadName: h.HeadName, RegisteredYear: h.RegisteredYear, PovertyCause: string(h.PovertyCause),
		Indicators: indicatorsJSON{h.Indicators.FoodClothingSecure, h.Indicators.CompulsoryEducation, h.Indicators.MedicalInsurance, h.Indicators.HousingSafety, h.Indicators.SafeWater},
		Status:     h.Status, StatusYear: h.StatusYear, Size: h.Size, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
	for _, m := range h.Members {
		out.Members = append(out.Members, toMember(m))
	}
	return out
}

func (s *Server) apiProvinces(w http.ResponseWriter, r *http.Request, u access.User) error {
	ps, err := s.Registry.Provinces(r.Context())
	if err != nil {
		return err
	}
	out := make([]provinceJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, provinceJSON{p.Code, p.Name, p.Region})
	}
	writeJSON(w, http.StatusOK, listPage[provinceJSON]{Items: out})
	return nil
}

func (s *Server) countyFilter(r *http.Request) (registry.CountyFilter, error) {
	limit, err := limitParam(r)
	if err != nil {
		return registry.CountyFilter{}, err
	}
	pov, err := boolParam(r, "poverty")
	if err != nil {
		return registry.CountyFilter{}, err
	}
	q := r.URL.Query()
	return registry.CountyFilter{ProvinceCode: q.Get("province"), Poverty: pov, Query: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")}, nil
}

func (s *Server) apiCounties(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.countyFilter(r)
	if err != nil {
		return err
	}
	cs, next, err := s.Registry.Counties(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]countyJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, toCounty(c))
	}
	writeJSON(w, http.StatusOK, listPage[countyJSON]{Items: out, NextCursor: next})
	return nil
}

func (s *Server) apiCounty(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Registry.County(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCounty(c))
	return nil
}

type countyStatsJSON struct {
	CountyCode string         `json:"county_code"`
	Households int            `json:"households"`
	People     int            `json:"people"`
	Villages   int            `json:"villages"`
	ByStatus   map[string]int `json:"by_status"`
	ByCause    map[string]int `json:"by_cause"`
}

func (s *Server) apiCountyStats(w http.ResponseWriter, r *http.Request, u access.User) error {
	st, err := s.Registry.CountyStats(r.Context(), u.Principal(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, countyStatsJSON{r.PathValue("code"), st.Households, st.People, st.Villages, st.ByStatus, causeCounts(st.ByCause)})
	return nil
}

func causeCounts[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func (s *Server) apiVillages(w http.ResponseWriter, r *http.Request, u access.User) error {
	vs, err := s.Registry.Villages(r.Context(), u.Principal(), r.PathValue("code"))
	if err != nil {
		return err
	}
	out := make([]villageJSON, 0, len(vs))
	for _, v := range vs {
		out = append(out, toVillage(v))
	}
	writeJSON(w, http.StatusOK, listPage[villageJSON]{Items: out})
	return nil
}

func (s *Server) apiCreateVillage(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Town string `json:"town"`
		Name string `json:"name"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := s.Registry.CreateVillage(r.Context(), u.Principal(), r.PathValue("code"), in.Town, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toVillage(v))
	return nil
}

func (s *Server) householdFilter(r *http.Request) (registry.HouseholdFilter, error) {
	limit, err := limitParam(r)
	if err != nil {
		return registry.HouseholdFilter{}, err
	}
	q := r.URL.Query()
	return registry.HouseholdFilter{CountyCode: q.Get("county"), VillageID: q.Get("village"), Status: q.Get("status"),
		Cause: q.Get("cause"), Query: q.Get("q"), Limit: limit, Cursor: q.Get("cursor")}, nil
}

func (s *Server) apiHouseholds(w http.ResponseWriter, r *http.Request, u access.User) error {
	f, err := s.householdFilter(r)
	if err != nil {
		return err
	}
	hs, next, err := s.Registry.Households(r.Context(), u.Principal(), f)
	if err != nil {
		return err
	}
	out := make([]householdJSON, 0, len(hs))
	for _, h := range hs {
		out = append(out, toHousehold(h))
	}
	writeJSON(w, http.StatusOK, listPage[householdJSON]{Items: out, NextCursor: next})
	return nil
}

func (s *Server) apiHousehold(w http.ResponseWriter, r *http.Request, u access.User) error {
	h, err := s.Registry.Household(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toHousehold(h))
	return nil
}

func (s *Server) apiMembers(w http.ResponseWriter, r *http.Request, u access.User) error {
	h, err := s.Registry.Household(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]memberJSON, 0, len(h.Members))
	for _, m := range h.Members {
		out = append(out, toMember(m))
	}
	writeJSON(w, http.StatusOK, listPage[memberJSON]{Items: out})
	return nil
}

type changeJSON struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Changes any       `json:"changes"`
}

func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request, u access.User) error {
	cs, err := s.Registry.History(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := make([]changeJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, changeJSON{c.At, c.ActorName, c.Action, c.Changes})
	}
	writeJSON(w, http.StatusOK, listPage[changeJSON]{Items: out})
	return nil
}

func (s *Server) apiReveal(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Purpose string `json:"purpose"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	id, phone, err := s.Registry.RevealMember(r.Context(), u.Principal(), r.PathValue("id"), in.Purpose)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"id_number": id, "phone": phone})
	return nil
}
