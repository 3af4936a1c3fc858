package web

import (
	"net/http"

	"fishpond/access"
	"fishpond/registry"
)

type memberInputJSON struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name"`
	Relationship string `json:"relationship"`
	Sex          string `json:"sex"`
	BirthDate    string `json:"birth_date"`
	IDNumber     string `json:"id_number"`
	Phone        string `json:"phone"`
	Labour       string `json:"labour"`
	Health       string `json:"health"`
	Schooling    string `json:"schooling"`
	InSchool     bool   `json:"in_school"`
	Disability   string `json:"disability"`
}

type householdInputJSON struct {
	CountyCode     string            `json:"county_code"`
	VillageID      string            `json:"village_id"`
	Town           string            `json:"town"`
	Village        string            `json:"village"`
	Number         string            `json:"number"`
	HeadName       string            `json:"head_name"`
	RegisteredYear int               `json:"registered_year"`
	PovertyCause   string            `json:"poverty_cause"`
	Indicators     indicatorsJSON    `json:"indicators"`
	Members        []memberInputJSON `json:"members"`
}

func (in householdInputJSON) toInput() registry.HouseholdInput {
	cause, ok := registry.ParseCause(in.PovertyCause)
	if !ok {
		cause = registry.Cause(in.PovertyCause) // the registry rejects it with a field error
	}
	out := registry.HouseholdInput{CountyCode: in.CountyCode, VillageID: in.VillageID, Town: in.Town, Village: in.Village, Number: in.Number,
		HeadName: in.HeadName, RegisteredYear: in.RegisteredYear, PovertyCause: cause,
		Indicators: registry.Indicators{FoodClothingSecure: in.Indicators.FoodClothingSecure, CompulsoryEducation: in.Indicators.CompulsoryEducation,
			MedicalInsurance: in.Indicators.MedicalInsurance, HousingSafety: in.Indicators.HousingSafety, SafeWater: in.Indicators.SafeWater}}
	for _, m := range in.Members {
		out.Members = append(out.Members, registry.MemberInput{ID: m.ID, Name: m.Name, Relationship: m.Relationship, Sex: m.Sex, BirthDate: m.BirthDate,
			IDNumber: m.IDNumber, Phone: m.Phone, Labour: m.Labour, Health: m.Health, Schooling: m.Schooling, InSchool: m.InSchool, Disability: m.Disability})
	}
	return out
}

func (s *Server) apiCreateHousehold(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in householdInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	h, err := s.Registry.CreateHousehold(r.Context(), u.Principal(), in.toInput())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toHousehold(h))
	return nil
}

func (s *Server) apiUpdateHousehold(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in householdInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	h, err := s.Registry.UpdateHousehold(r.Context(), u.Principal(), r.PathValue("id"), in.toInput())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toHousehold(h))
	return nil
}
