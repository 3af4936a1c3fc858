// Package browsertest runs page tests in a real headless Chromium driven from Go
// (chromedp), so that what a farmer sees on a cheap phone — forms, htmx swaps, charts,
// Chinese text — is tested the way it runs, not through an HTML parser.
//
// A test calls New to get a tab sized like a phone, then drives it with chromedp
// actions through Do, reads with Text or Eval, and may save a Screenshot:
//
//	ctx := browsertest.New(t)
//	browsertest.Do(t, ctx,
//		chromedp.Navigate(srv.URL+"/login"),
//		chromedp.SendKeys(chromedp.CSS("#user"), "admin"),
//		chromedp.Click(chromedp.CSS("button[type=submit]")),
//	)
//	if got := browsertest.Text(t, ctx, "h1"); got != "阜平县" { … }
//
// Without Chromium the test is skipped on a developer's machine and fails under
// CI=true (see testenv), so CI always proves the pages.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fishpond/internal/testenv"
)

// Phone viewport: a common mid-range phone in portrait (CSS pixels). Pages are
// designed phone first, so tests see them the way most users do.
const (
	Width  = 390
	Height = 844
)

// StepTimeout bounds each Do, Text, Eval and Screenshot call, so a selector that
// never matches fails the test with a message instead of hanging until go test's
// global timeout.
var StepTimeout = 30 * time.Second

// browserNames are the executables tried in order: Debian's package first, then
// the names other distributions and Google's builds use.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// tab holds what the helpers need besides the chromedp context.
type tab struct {
	mu     sync.Mutex
	errors []string // console errors and uncaught exceptions, in order
}

type tabKey struct{}

// New starts a fresh headless Chromium with its own profile and returns the context
// of one tab with a phone-sized, mobile, touch-enabled viewport. The browser is
// stopped and its profile removed when the test ends. Console errors and uncaught
// exceptions of the page are logged and kept for PageErrors/NoPageErrors.
func New(t *testing.T) context.Context {
	t.Helper()
	exe := findBrowser(t)
	profile := t.TempDir() // registered before our cleanup, so removed after the browser stops

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where the sandbox refuses to start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(Width, Height),
	}

	var (
		logMu sync.Mutex
		ended bool
	)
	// logf is safe after the test ends: t.Logf would panic then.
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !ended {
			t.Logf("browser: "+format, args...)
		}
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tb := &tab{}
	ctx, cancelTab := chromedp.NewContext(context.WithValue(allocCtx, tabKey{}, tb), chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		logMu.Lock()
		ended = true
		logMu.Unlock()
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
	})

	// The first action starts the browser and ties its life to the context it gets,
	// so it must run on ctx itself, not on a shorter-lived child with a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(Width, Height,
		chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("browsertest: start %s: %v", exe, err)
	}

	msgs := chromedp.Console(ctx) // subscribe now, before the test's first step
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				msg := string(m.Type) + ": " + m.String()
				if m.URL != "" {
					msg += " [" + m.URL + "]"
				}
				tb.mu.Lock()
				tb.errors = append(tb.errors, msg)
				tb.mu.Unlock()
				logf("page %s", msg)
			}
		}
	}()
	return ctx
}

// findBrowser returns the Chromium executable or skips (fails in CI) the test.
func findBrowser(t *testing.T) string {
	t.Helper()
	return testenv.LookPath(t, browserNames...)
}

// Do runs chromedp actions in order and fails the test at the first error, so page
// tests read as a list of steps without error plumbing.
func Do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browsertest: %v%s", err, pageErrorSuffix(ctx))
	}
}

// Text waits until the first element matching the CSS selector is visible and
// returns its visible text, trimmed, as a user would read it.
func Text(t testing.TB, ctx context.Context, selector string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(selector))); err != nil {
		t.Fatalf("browsertest: wait for %q: %v%s", selector, err, pageErrorSuffix(ctx))
	}
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("browsertest: text of %q: %v", selector, err)
	}
	return strings.TrimSpace(s)
}

// Eval evaluates a JavaScript expression in the page and returns its value, for
// facts no selector shows (window.innerWidth, a chart's option, htmx state).
func Eval[T any](t testing.TB, ctx context.Context, expression string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browsertest: eval %q: %v", expression, err)
	}
	return v
}

// Screenshot saves a PNG of the whole page (beyond the viewport) to path, creating
// its directory. Tests use it to keep evidence of a failure and to refresh the
// screenshots in docs.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// PageErrors returns the console errors and uncaught exceptions the tab has seen so
// far: a page that "works" while throwing is broken on the next phone.
func PageErrors(ctx context.Context) []string {
	tb, _ := ctx.Value(tabKey{}).(*tab)
	if tb == nil {
		return nil
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]string(nil), tb.errors...)
}

// NoPageErrors fails the test if the page has written a console error or thrown.
// Console events arrive asynchronously, so it first waits a moment for stragglers.
func NoPageErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	time.Sleep(50 * time.Millisecond)
	if errs := PageErrors(ctx); len(errs) > 0 {
		t.Fatalf("browsertest: the page reported %d error(s):\n%s", len(errs), strings.Join(errs, "\n"))
	}
}

func pageErrorSuffix(ctx context.Context) string {
	errs := PageErrors(ctx)
	if len(errs) == 0 {
		return ""
	}
	return fmt.Sprintf("\npage errors:\n%s", strings.Join(errs, "\n"))
}
