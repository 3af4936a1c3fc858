package web

import (
	"io"
	"net/http"
	"path"
	"strings"

	"fishpond"
	"fishpond/access"
	"fishpond/registry"
)

type rowErrorJSON struct {
	Row    int    `json:"row"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

type importReportJSON struct {
	Format              string         `json:"format"`
	Rows                int            `json:"rows"`
	HouseholdsCreated   int            `json:"households_created"`
	HouseholdsUpdated   int            `json:"households_updated"`
	HouseholdsUnchanged int            `json:"households_unchanged"`
	MembersCreated      int            `json:"members_created"`
	MembersUpdated      int            `json:"members_updated"`
	MembersUnchanged    int            `json:"members_unchanged"`
	Errors              []rowErrorJSON `json:"errors"`
}

func toImportReport(rep registry.ImportReport) importReportJSON {
	out := importReportJSON{rep.Format, rep.Rows, rep.HouseholdsCreated, rep.HouseholdsUpdated, rep.HouseholdsUnchanged,
		rep.MembersCreated, rep.MembersUpdated, rep.MembersUnchanged, []rowErrorJSON{}}
	for _, e := range rep.Errors {
		out.Errors = append(out.Errors, rowErrorJSON{e.Row, e.Column, e.Reason})
	}
	return out
}

// uploadedFile returns the spreadsheet from a multipart form field "file", or the
// raw body with the name from ?filename= (what scripts find easiest).
func (s *Server) uploadedFile(w http.ResponseWriter, r *http.Request) (string, io.Reader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return "", nil, fishpond.Invalid("no spreadsheet uploaded / 未上传文件", map[string]string{"file": "choose a CSV or XLSX file / 请选择 CSV 或 XLSX 文件"})
		}
		return path.Base(hdr.Filename), f, nil
	}
	name := r.URL.Query().Get("filename")
	if name == "" {
		return "", nil, fishpond.Invalid("missing filename", map[string]string{"filename": "give ?filename=households.csv or .xlsx, or upload multipart field 'file'"})
	}
	return path.Base(name), r.Body, nil
}

func (s *Server) apiImportHouseholds(w http.ResponseWriter, r *http.Request, u access.User) error {
	county := r.URL.Query().Get("county")
	if county == "" {
		county = r.FormValue("county")
	}
	name, body, err := s.uploadedFile(w, r)
	if err != nil {
		return err
	}
	rep, err := s.Registry.Import(r.Context(), u.Principal(), county, name, body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toImportReport(rep))
	return nil
}

// template serves the import template; public, since it holds no data.
func (s *Server) template(w http.ResponseWriter, r *http.Request) {
	format, ok := strings.CutPrefix(r.PathValue("file"), "households.")
	if !ok {
		s.apiError(w, r, errNoRoute)
		return
	}
	b, err := registry.Template(format)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", `attachment; filename="households-template.`+format+`"`)
	w.Write(b)
}
