package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fishpond/internal/browsertest"
	"fishpond/live"
)

// TestBrowserLiveWatchAndConsole watches a live session in a real browser on a
// phone-sized screen: a comment typed on the watch page comes back over the
// event stream, the anchor's pin shows at once, and the anchor console shows how
// to go live; neither page scrolls sideways.
func TestBrowserLiveWatchAndConsole(t *testing.T) {
	ctx := browsertest.New(t)
	srv, _, svc := demoServer(t)
	bg := context.Background()
	shot := func(name string) {
		if dir := os.Getenv("FISHPOND_SCREENSHOTS"); dir != "" {
			browsertest.Screenshot(t, ctx, filepath.Join(dir, name+".png"))
		}
	}
	farmer, err := svc.Access.UserByName(bg, "farmer")
	if err != nil {
		t.Fatal(err)
	}
	rooms, err := svc.Live.MyRooms(bg, farmer.Principal())
	if err != nil || len(rooms) != 1 {
		t.Fatalf("farmer's rooms: %v", err)
	}
	ss, err := svc.Live.Publish(bg, rooms[0].ID, rooms[0].StreamKey)
	if err != nil {
		t.Fatal(err)
	}
	ss, _ = svc.Live.Session(bg, ss.ID)

	login := func(name string) {
		browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/login"),
			chromedp.SendKeys(chromedp.CSS("input[name=name]"), name),
			chromedp.SendKeys(chromedp.CSS("input[name=password]"), "fishpond-demo"),
			chromedp.Click(chromedp.CSS("button[type=submit]")),
			chromedp.WaitReady(chromedp.CSS("form[action='/logout']")))
	}
	login("consumer")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/live"), chromedp.WaitVisible(chromedp.CSS("ul.list a.row")))
	if got := browsertest.Text(t, ctx, "ul.list a.row b"); !strings.Contains(got, ss.Title) {
		t.Fatalf("discovery lists %q first, want the live %q", got, ss.Title)
	}
	shot("live-discovery")
	browsertest.Do(t, ctx, chromedp.Click(chromedp.CSS("ul.list a.row")), chromedp.WaitVisible(chromedp.CSS("#comment-form")))
	browsertest.Do(t, ctx, chromedp.SendKeys(chromedp.CSS("#comment-form input[name=body]"), "核桃多少钱一斤？"),
		chromedp.Click(chromedp.CSS("#comment-form button.primary")))
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(browsertest.Eval[string](t, ctx, "(document.querySelector('"+sel+"')||{}).textContent||''"), want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never showed %q", sel, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitText("#live-comments", "核桃多少钱一斤？")
	if _, err := svc.Live.Pin(bg, farmer.Principal(), ss.ID, ss.Products[0]); err != nil {
		t.Fatal(err)
	}
	p, _ := svc.Market.Product(bg, ss.Products[0])
	waitText("#pin-name", p.Name)
	if _, err := svc.Live.StartFlash(bg, farmer.Principal(), ss.ID, live.FlashInput{ProductID: p.ID, Price: p.Price / 2, Quantity: 20, PerBuyerLimit: 2, Duration: 5 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	waitText("#flash-left", "20")
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("watch page is %dpx wide on a %dpx phone", w, browsertest.Width)
	}
	shot("live-watch")

	browsertest.Eval[bool](t, ctx, `(document.querySelector("form[action='/logout']").submit(), true)`)
	browsertest.Do(t, ctx, chromedp.Sleep(500*time.Millisecond))
	login("farmer")
	browsertest.Do(t, ctx, chromedp.Navigate(srv.URL+"/live/console"), chromedp.WaitVisible(chromedp.CSS(".live-room")))
	if body := browsertest.Text(t, ctx, "main"); !strings.Contains(body, rooms[0].StreamKey) {
		t.Fatal("the console does not show the stream key")
	}
	if w := browsertest.Eval[int](t, ctx, "document.documentElement.scrollWidth"); w > browsertest.Width {
		t.Fatalf("console is %dpx wide on a %dpx phone", w, browsertest.Width)
	}
	shot("live-console")
	// No media server runs here, so the player's requests for the playlist fail
	// (and it retries); anything else the pages report is a bug.
	for _, e := range browsertest.PageErrors(ctx) {
		if !strings.Contains(e, "/hls/") {
			t.Errorf("page error: %s", e)
		}
	}
}
