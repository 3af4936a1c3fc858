package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/registry"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageSet holds one template per page, each parsed together with the layout.
type pageSet struct{ byName map[string]*template.Template }

func mustPages() *pageSet {
	ps := &pageSet{byName: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
		ps.byName[base] = t
	}
	return ps
}

var funcs = template.FuncMap{
	"t":     func(v view, key string) string { return translate(v.Lang, key) },
	"money": func(m fishpond.Money) string { return m.String() },
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(fishpond.ChinaTime).Format("2006-01-02 15:04")
	},
	"pct": func(n, d int) string {
		if d == 0 {
			return "0%"
		}
		return fmt.Sprintf("%.1f%%", float64(n)*100/float64(d))
	},
	"query": func(base string, kv ...string) string {
		u := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] != "" {
				u.Set(kv[i], kv[i+1])
			}
		}
		if len(u) == 0 {
			return base
		}
		return base + "?" + u.Encode()
	},
	// json renders data for a data-* attribute that static/app.js reads: the
	// content security policy allows no inline scripts.
	"json": func(v any) (string, error) {
		b, err := jsonMarshal(v)
		return string(b), err
	},
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
	"cause":  func(v view, c registry.Cause) string { return causeLabel(v.Lang, c) },
	"status": func(v view, st string) string { return statusLabel(v.Lang, st) },
	// words picks the page's language from a "中文 / English" sentence, the form
	// reasons and verdicts are stored in.
	"words": func(v view, s string) string {
		zh, en, ok := strings.Cut(s, " / ")
		if !ok {
			return s
		}
		if v.Lang == "en" {
			return en
		}
		return zh
	},
}

// view is what every page template receives.
type view struct {
	Lang  string
	Page  string
	Title string
	User  *access.User
	Path  string
	Data  any
}

func (s *Server) view(r *http.Request, page string) view {
	v := view{Lang: lang(r), Page: page, Path: r.URL.Path}
	if u, ok := r.Context().Value(keyUser).(access.User); ok {
		v.User = &u
	}
	return v
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := s.pages.byName[page]
	if !ok {
		s.Log.Error("no such template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.Log.Error("render", "page", page, "request_id", requestID(r), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

// addFunc registers a capability's template function from its page file's init;
// a name registered twice would silently replace the other capability's function
// for every page, so it is refused.
func addFunc(name string, f any) {
	if _, dup := funcs[name]; dup {
		panic("web: template function " + name + " registered twice")
	}
	funcs[name] = f
}
