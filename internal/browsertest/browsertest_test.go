package browsertest_test

import (
	"bytes"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fishpond/internal/browsertest"
)

// page is a phone page with a classic form (full round trip) and an htmx button
// (partial swap), using the vendored htmx and ECharts exactly as the web layer will.
const page = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>鱼塘自测</title>
<script src="/vendor/htmx.min.js"></script>
<script src="/vendor/echarts.min.js"></script>
</head><body>
<h1>鱼塘</h1>
<form method="post" action="/greet">
  <label for="name">姓名</label> <input id="name" name="name">
  <button id="send" type="submit">提交</button>
</form>
<button id="count" hx-post="/count" hx-target="#counter" hx-swap="innerHTML">加一</button>
<p id="counter">0</p>
</body></html>`

func server(t *testing.T) *httptest.Server {
	vendor := http.FileServer(http.Dir(filepath.Join("..", "..", "web", "static")))
	n := 0
	mux := http.NewServeMux()
	mux.Handle("GET /vendor/", vendor)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	mux.HandleFunc("POST /greet", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><p id="greeting">你好，%s！</p>`, html.EscapeString(r.FormValue("name")))
	})
	mux.HandleFunc("POST /count", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("HX-Request") != "true" {
			http.Error(w, "not htmx", http.StatusBadRequest)
			return
		}
		n++
		fmt.Fprint(w, n)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHarnessDrivesARealBrowser(t *testing.T) {
	srv := server(t)
	ctx := browsertest.New(t)

	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/"))
	if got := browsertest.Text(t, ctx, "h1"); got != "鱼塘" {
		t.Fatalf("h1 = %q", got)
	}
	if w := browsertest.Eval[int](t, ctx, "window.innerWidth"); w != browsertest.Width {
		t.Fatalf("viewport width = %d, want the phone's %d", w, browsertest.Width)
	}
	if v := browsertest.Eval[string](t, ctx, "htmx.version"); !strings.HasPrefix(v, "2.0.") {
		t.Fatalf("vendored htmx version = %q, want 2.0.x", v)
	}
	if v := browsertest.Eval[string](t, ctx, "echarts.version"); !strings.HasPrefix(v, "5.") {
		t.Fatalf("vendored echarts version = %q, want 5.x", v)
	}

	// htmx: a click swaps the server's answer in without leaving the page.
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("#count")))
	browsertest.Do(t, ctx, chromedp.WaitVisible(chromedp.Search(`//p[@id="counter" and text()="1"]`)))

	shot := filepath.Join(t.TempDir(), "form.png")
	browsertest.Screenshot(t, ctx, shot)
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != browsertest.Width {
		t.Fatalf("screenshot width = %d, want %d", w, browsertest.Width)
	}

	// A classic form post: type Chinese, submit, read the server's page.
	browsertest.Do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), "王小梅"),
		chromedp.Click(chromedp.CSS("#send")),
	)
	if got := browsertest.Text(t, ctx, "#greeting"); got != "你好，王小梅！" {
		t.Fatalf("greeting = %q", got)
	}
	browsertest.NoPageErrors(t, ctx)
}

func TestPageErrorsAreCollected(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><p id="x">x</p><script>console.error("boom-console"); undefinedFunction();</script>`)
	}))
	defer srv.Close()
	ctx := browsertest.New(t)
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL))
	browsertest.Text(t, ctx, "#x")
	var errs []string
	for range 100 {
		if errs = browsertest.PageErrors(ctx); len(errs) >= 2 {
			break
		}
		browsertest.Eval[int](t, ctx, "new Promise(r => setTimeout(() => r(1), 10))")
	}
	joined := strings.Join(errs, "\n")
	if !strings.Contains(joined, "boom-console") || !strings.Contains(joined, "undefinedFunction") {
		t.Fatalf("PageErrors = %q; want the console error and the exception", errs)
	}
}
