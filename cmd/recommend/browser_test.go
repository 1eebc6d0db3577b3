package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/paper"
)

// The web page, driven by a real headless Chromium against the real binary
// on the bundled corpus: every flow a user has, at a desktop and at a phone
// width. Each flow saves screenshots under its temporary directory (set
// RECOMMEND_SCREENSHOTS=DIR to keep copies) and checks what the page shows
// against what the API answers.

// chromium returns the path of the browser. Without one the tests skip
// locally and fail in CI (CI set), where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RECOMMEND_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium on PATH (install it with `apt-get install -y chromium`, or set RECOMMEND_CHROMIUM)"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: the browser tests must run in CI", msg)
	}
	t.Skipf("%s: skipping the browser tests", msg)
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// context that new tabs derive from.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// Keep Chromium off the network: nothing but the service on
		// 127.0.0.1.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("dns-prefetch-disable", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// viewport is a screen size the flows run at.
type viewport struct {
	name          string
	width, height int64
}

var viewports = []viewport{
	{"desktop", 1280, 900},
	{"narrow", 390, 844},
}

// page is one browser tab on the page, with what it needs to check itself.
type page struct {
	t      *testing.T
	ctx    context.Context
	svc    *service
	vp     viewport
	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors
	shots  int
}

// openTab opens a tab at the given size, watching for script errors.
func openTab(t *testing.T, browser context.Context, svc *service, vp viewport) *page {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(tab, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	p := &page{t: t, ctx: ctx, svc: svc, vp: vp}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.EmulateViewport(vp.width, vp.height)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	exceptions := chromedp.Events(ctx, runtime.ExceptionThrown)
	console := chromedp.Events(ctx, runtime.ConsoleAPICalled)
	go func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			p.addError("uncaught exception: " + ev.ExceptionDetails.Text + describeException(ev.ExceptionDetails))
		}
	}()
	go func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				p.addError("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		}
	}()
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.errors {
			t.Errorf("the page logged an error: %s", e)
		}
	})
	return p
}

func describeException(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return ": " + d.Exception.Description
	}
	return ""
}

func (p *page) addError(s string) {
	p.mu.Lock()
	p.errors = append(p.errors, s)
	p.mu.Unlock()
}

// do runs actions, failing the test with what it was doing.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.shot("failed")
		p.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value into out.
func (p *page) eval(expr string, out any) {
	p.t.Helper()
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("evaluate %s: decode %s: %v", expr, raw, err)
		}
	}
}

// wait polls a JavaScript expression until it is truthy and decodes that
// value into out.
func (p *page) wait(what, expr string, out any) {
	p.t.Helper()
	raw, err := chromedp.Run(p.ctx, chromedp.Poll[[]byte](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil {
		p.shot("failed")
		var body string
		_ = chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](`0`)) // keep the tab usable for the message below
		if b, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText.slice(0, 1500) : ""`)); err == nil {
			body = b
		}
		p.t.Fatalf("waiting for %s: %v\nthe page shows:\n%s", what, err, body)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("waiting for %s: decode %s: %v", what, raw, err)
		}
	}
}

// shot saves a screenshot of what the window shows and logs where.
func (p *page) shot(name string) string {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p.shots++
	file := fmt.Sprintf("%02d-%s-%s.png", p.shots, p.vp.name, name)
	path := filepath.Join(p.t.TempDir(), file)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
	if dir := os.Getenv("RECOMMEND_SCREENSHOTS"); dir != "" {
		keep := filepath.Join(dir, strings.ReplaceAll(p.t.Name(), "/", "_")+"-"+file)
		if err := os.WriteFile(keep, buf, 0o644); err == nil {
			p.t.Logf("screenshot kept: %s", keep)
		}
	}
	return path
}

// open loads the page at a hash route and waits for the script to start.
func (p *page) open(hash string) {
	p.t.Helper()
	p.do("open the page", chromedp.Navigate(p.svc.URL+"/"+hash))
	p.wait("the page script", `document.querySelector("#footer") && document.querySelector("#footer").textContent.includes("papers")`, nil)
}

// js quotes a string for JavaScript.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// cardIDs is an expression for the data-id of every card in a list, or
// null while the list is not there.
func cardIDs(listID string) string {
	return fmt.Sprintf(`(() => { const l = document.getElementById(%s); if (!l) return null; const ids = Array.from(l.querySelectorAll("li[data-id]")).map(li => li.dataset.id); return ids.length ? ids : null; })()`, js(listID))
}

// paperShown is an expression for the paper view's id, title and abstract
// once the given paper (any paper if id is "") is shown.
func paperShown(id string) string {
	return fmt.Sprintf(`(() => { const a = document.querySelector("article.paper"); if (!a || (%s && a.dataset.id !== %s)) return null; return {id: a.dataset.id, title: document.getElementById("paper-title").textContent, abstract: document.getElementById("paper-abstract").textContent}; })()`, js(id), js(id))
}

type shownPaper struct {
	ID, Title, Abstract string
}

func resultIDs(rs []engine.Result) []string {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	return ids
}

func TestBrowser(t *testing.T) {
	chromium(t) // skip or fail before starting anything
	svc := startService(t, t.TempDir())
	browser := newBrowser(t)

	// Papers the flows start from, from the API.
	var list httpapi.PaperList
	if got := svc.do("GET", "/v1/papers?limit=5", nil, &list); got != http.StatusOK || len(list.Data) == 0 {
		t.Fatalf("GET /v1/papers: status %d, %d papers; want the bundled corpus", got, len(list.Data))
	}
	start := list.Data[0]

	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			t.Run("search", func(t *testing.T) { testBrowserSearch(t, openTab(t, browser, svc, vp)) })
			t.Run("open result and follow related", func(t *testing.T) { testBrowserPaper(t, openTab(t, browser, svc, vp)) })
			t.Run("like two papers and get recommendations", func(t *testing.T) { testBrowserLikes(t, openTab(t, browser, svc, vp), start) })
			t.Run("map", func(t *testing.T) { testBrowserMap(t, openTab(t, browser, svc, vp)) })
			t.Run("errors", func(t *testing.T) { testBrowserErrors(t, openTab(t, browser, svc, vp)) })
		})
	}
	t.Run("map of 10000 papers", func(t *testing.T) { testBrowserBigMap(t, openTab(t, browser, svc, viewports[0])) })
	t.Run("mode switch once the API lists modes", func(t *testing.T) { testBrowserModes(t, openTab(t, browser, svc, viewports[0])) })
}

const browserQuery = "forgetting earlier tasks when a model keeps learning new ones"

// search: type a query, press Enter, and the results are the API's, in its
// order, with their titles and scores.
func testBrowserSearch(t *testing.T, p *page) {
	p.open("")
	// The start page lists the collection, a page at a time.
	var browse []string
	p.wait("the list of papers", cardIDs("browse"), &browse)
	var all httpapi.PaperList
	p.svc.do("GET", "/v1/papers?limit=20", nil, &all)
	var wantBrowse []string
	for _, pp := range all.Data {
		wantBrowse = append(wantBrowse, pp.ID)
	}
	if !slices.Equal(browse, wantBrowse) {
		t.Errorf("the start page lists %v, want the first page of the API %v", browse, wantBrowse)
	}
	var heading string
	p.eval(`document.getElementById("all-title").textContent`, &heading)
	if want := fmt.Sprintf("All papers (%d)", all.Total); heading != want {
		t.Errorf("start page heading %q, want %q", heading, want)
	}
	// Keyboard: the skip link shows when focused and moves to the content
	// without changing the view; Tab then reaches the first paper.
	var skip struct {
		Top    float64
		Active string
		Hash   string
	}
	p.do("focus the skip link", chromedp.Evaluate[chromedp.Void](`document.getElementById("skip").focus()`))
	p.eval(`({top: document.getElementById("skip").getBoundingClientRect().top})`, &skip)
	if skip.Top < 0 {
		t.Errorf("the focused skip link is off screen (top %.0f)", skip.Top)
	}
	p.do("press Enter on the skip link, then Tab", chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent(kb.Tab))
	p.eval(`({active: document.activeElement.className + " " + document.activeElement.textContent, hash: location.hash})`, &skip)
	if !strings.HasPrefix(skip.Active, "paper-link") || skip.Hash != "" {
		t.Errorf("after the skip link and Tab, focus is on %q and the hash is %q; want the first paper's link and no hash", skip.Active, skip.Hash)
	}
	var modeHidden bool
	p.eval(`document.getElementById("mode").hidden`, &modeHidden)
	if modeHidden {
		t.Error("the retrieval-mode switch is hidden, but /readyz lists the modes")
	}
	p.shot("home")
	p.do("type a query and press Enter",
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), browserQuery+kb.Enter))
	var ids []string
	p.wait("search results", cardIDs("search-results"), &ids)
	var want httpapi.ResultList
	svc := p.svc
	if got := svc.do("GET", "/v1/search?limit=20&q="+url.QueryEscape(browserQuery), nil, &want); got != http.StatusOK {
		t.Fatalf("GET /v1/search: status %d", got)
	}
	if !slices.Equal(ids, resultIDs(want.Data)) {
		t.Errorf("the page shows results %v, the API answers %v", ids, resultIDs(want.Data))
	}
	var shown struct {
		Heading string
		Hash    string
		Titles  []string
		Score   string
		Snippet string
	}
	p.eval(`({
		heading: document.querySelector("main h1").textContent,
		hash: location.hash,
		titles: Array.from(document.querySelectorAll("#search-results .paper-link")).map(a => a.textContent),
		score: document.querySelector("#search-results .score").textContent,
		snippet: document.querySelector("#search-results .snippet").textContent,
	})`, &shown)
	if !strings.Contains(shown.Heading, browserQuery) {
		t.Errorf("heading %q does not name the query", shown.Heading)
	}
	if want := "#/search?q=" + url.QueryEscape(browserQuery); strings.ReplaceAll(shown.Hash, "%20", "+") != want {
		t.Errorf("location.hash = %q, want %q", shown.Hash, want)
	}
	for i, r := range want.Data[:min(len(want.Data), len(shown.Titles))] {
		if shown.Titles[i] != r.Title {
			t.Errorf("result %d shows title %q, want %q", i, shown.Titles[i], r.Title)
		}
	}
	if !slices.ContainsFunc(shown.Titles, func(s string) bool { return containsFold(s, "Continual") }) {
		t.Errorf("no result about continual learning for %q: %q", browserQuery, shown.Titles)
	}
	if wantScore := fmt.Sprintf("%.3f", want.Data[0].Score); !strings.HasSuffix(shown.Score, wantScore) {
		t.Errorf("first score shown %q, want %s", shown.Score, wantScore)
	}
	if first := want.Data[0].Abstract; !strings.HasPrefix(first, strings.TrimSuffix(shown.Snippet, "…")) || len(shown.Snippet) < 40 {
		t.Errorf("first snippet %q is not the start of the abstract %q", shown.Snippet, first[:min(80, len(first))])
	}
	p.shot("search")
}

// open a result: its abstract and related papers; follow a related link: the
// view changes to that paper; the back button returns.
func testBrowserPaper(t *testing.T, p *page) {
	p.open("#/search?q=" + url.QueryEscape(browserQuery))
	var ids []string
	p.wait("search results", cardIDs("search-results"), &ids)
	p.do("click the first result", chromedp.Click(chromedp.CSS("#search-results .paper-link")))
	var first shownPaper
	p.wait("the paper view of the first result", paperShown(ids[0]), &first)
	var want paper.Paper
	if got := p.svc.do("GET", "/v1/papers/"+url.PathEscape(ids[0]), nil, &want); got != http.StatusOK {
		t.Fatalf("GET /v1/papers/%s: status %d", ids[0], got)
	}
	if first.Title != want.Title || first.Abstract != want.Abstract {
		t.Errorf("paper view shows %q / %q...; want %q / %q...", first.Title, first.Abstract[:min(60, len(first.Abstract))], want.Title, want.Abstract[:min(60, len(want.Abstract))])
	}
	var related []string
	p.wait("related papers", cardIDs("related"), &related)
	var wantRel httpapi.ResultList
	p.svc.do("GET", "/v1/papers/"+url.PathEscape(ids[0])+"/related?limit=10", nil, &wantRel)
	if !slices.Equal(related, resultIDs(wantRel.Data)) {
		t.Errorf("related papers shown %v, the API answers %v", related, resultIDs(wantRel.Data))
	}
	if slices.Contains(related, ids[0]) {
		t.Errorf("the paper %s is among its own related papers", ids[0])
	}
	var highlighted bool
	p.eval(fmt.Sprintf(`window.recommendMaps.mini.current.has(%s) && window.recommendMaps.mini.related.size === %d`, js(ids[0]), len(related)), &highlighted)
	if !highlighted {
		t.Errorf("the map does not highlight the paper and its %d related papers", len(related))
	}
	p.shot("paper")

	p.do("click the first related paper", chromedp.Click(chromedp.CSS("#related .paper-link")))
	var next shownPaper
	p.wait("the related paper's view", paperShown(related[0]), &next)
	if next.Title != wantRel.Data[0].Title {
		t.Errorf("after following the related link the view shows %q, want %q", next.Title, wantRel.Data[0].Title)
	}
	var nextRelated []string
	p.wait("the related paper's related papers", fmt.Sprintf(`(() => { const a = document.querySelector("article.paper"); return a && a.dataset.id === %s ? %s : null })()`, js(related[0]), cardIDs("related")), &nextRelated)
	if slices.Contains(nextRelated, related[0]) {
		t.Errorf("paper %s lists itself as related", related[0])
	}
	var hash string
	p.eval(`location.hash`, &hash)
	if want := "#/paper/" + strings.ReplaceAll(url.QueryEscape(related[0]), "+", "%20"); hash != want {
		t.Errorf("location.hash = %q, want %q", hash, want)
	}
	p.shot("related")

	p.do("go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	p.wait("the first paper again after Back", paperShown(ids[0]), nil)
}

// like two papers, open "More like these": recommendations appear, none of
// them a liked paper, as the API ranks them; the likes survive a reload.
func testBrowserLikes(t *testing.T, p *page, start paper.Paper) {
	p.open("#/paper/" + url.PathEscape(start.ID))
	p.wait("the first paper", paperShown(start.ID), nil)
	p.do("like the first paper", chromedp.Click(chromedp.CSS("article.paper button.like")))
	var related []string
	p.wait("related papers", cardIDs("related"), &related)
	second := related[0]
	p.do("open a related paper", chromedp.Click(chromedp.CSS("#related .paper-link")))
	p.wait("the second paper", paperShown(second), nil)
	p.do("like the second paper", chromedp.Click(chromedp.CSS("article.paper button.like")))
	var state struct {
		Pressed string
		Badge   string
	}
	p.eval(`({pressed: document.querySelector("article.paper button.like").getAttribute("aria-pressed"), badge: document.getElementById("like-count").textContent})`, &state)
	if state.Pressed != "true" || state.Badge != "2" {
		t.Errorf("after two likes: Like button aria-pressed=%q, badge %q; want true and 2", state.Pressed, state.Badge)
	}
	p.shot("liked")

	p.do("open More like these", chromedp.Click(chromedp.CSS(`nav a[data-nav="likes"]`)))
	var recs []string
	p.wait("recommendations", cardIDs("recommendations"), &recs)
	liked := []string{start.ID, second}
	for _, id := range liked {
		if slices.Contains(recs, id) {
			t.Errorf("liked paper %s is among the recommendations %v", id, recs)
		}
	}
	var want httpapi.ResultList
	if got := p.svc.do("POST", "/v1/recommend", map[string]any{"positive": liked, "limit": 20}, &want); got != http.StatusOK {
		t.Fatalf("POST /v1/recommend: status %d", got)
	}
	if !slices.Equal(recs, resultIDs(want.Data)) {
		t.Errorf("recommendations shown %v, the API answers %v", recs, resultIDs(want.Data))
	}
	var likedShown []string
	p.eval(`Array.from(document.querySelectorAll("#liked-list li")).map(li => li.dataset.id)`, &likedShown)
	if slices.Sort(likedShown); !slices.Equal(likedShown, slices.Sorted(slices.Values(liked))) {
		t.Errorf("the liked list shows %v, want %v", likedShown, liked)
	}
	p.shot("recommendations")

	// The likes live in the session: a reload keeps them.
	p.do("reload", chromedp.Reload())
	p.wait("recommendations after a reload", cardIDs("recommendations"), &recs)
	var badge string
	p.eval(`document.getElementById("like-count").textContent`, &badge)
	if badge != "2" {
		t.Errorf("after a reload the badge shows %q, want 2", badge)
	}
}

// the map: every paper drawn; hover shows the title; a click opens the
// paper; the keyboard reaches papers too.
func testBrowserMap(t *testing.T, p *page) {
	p.open("#/map")
	var n int
	p.wait("the map", `(() => { const c = document.getElementById("big-map"); return c && c.dataset.state === "ready" ? +c.dataset.points : null })()`, &n)
	var m httpapi.MapResponse
	if got := p.svc.do("GET", "/v1/map", nil, &m); got != http.StatusOK {
		t.Fatalf("GET /v1/map: status %d", got)
	}
	if n != len(m.Data) || n == 0 {
		t.Fatalf("the map draws %d papers, the API has %d", n, len(m.Data))
	}
	var legend []string
	p.eval(`Array.from(document.querySelectorAll("#map-legend li")).map(li => li.textContent)`, &legend)
	if len(legend) != m.Clusters {
		t.Errorf("the legend lists %d clusters, the map has %d: %q", len(legend), m.Clusters, legend)
	}

	// Pick the paper whose dot is farthest from any other on screen, so
	// that a click on it can only mean it.
	p.do("scroll the map into view", chromedp.Evaluate[chromedp.Void](`document.getElementById("big-map").scrollIntoView({block: "center"})`))
	var pos []struct{ X, Y float64 }
	p.eval(`(() => { const m = window.recommendMaps.big; return m.points.map(pt => m.pointPosition(pt.id)); })()`, &pos)
	var vh float64
	p.eval(`window.innerHeight`, &vh)
	best, bestD := -1, 0.0
	for i, a := range pos {
		if a.Y < 10 || a.Y > vh-10 {
			continue
		}
		d := math.Inf(1)
		for j, b := range pos {
			if i != j {
				d = min(d, math.Hypot(a.X-b.X, a.Y-b.Y))
			}
		}
		if d > bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		t.Fatal("no dot of the map is in the viewport")
	}
	target := m.Data[best]
	at := pos[best]
	t.Logf("pointing at %q at (%.0f, %.0f), %.1f px from its nearest neighbour", target.Title, at.X, at.Y, bestD)
	p.do("hover over the dot", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at.X, at.Y))
	var tip string
	p.wait("the tooltip", `(() => { const t = document.querySelector(".map-wrap.big .tooltip"); return t && !t.hidden ? t.textContent : null })()`, &tip)
	if !strings.HasPrefix(tip, target.Title) {
		t.Errorf("hovering over %q shows %q", target.Title, tip)
	}
	p.shot("map-hover")
	p.do("click the dot", chromedp.MouseClickXY(at.X, at.Y))
	var shown shownPaper
	p.wait("the clicked paper", paperShown(target.ID), &shown)
	if shown.Title != target.Title {
		t.Errorf("clicking %q opened %q", target.Title, shown.Title)
	}
	p.shot("map-click")

	// Keyboard: focus the map, an arrow selects a paper, Enter opens it.
	p.do("back to the map", chromedp.Evaluate[chromedp.Void](`location.hash = "#/map"`))
	p.wait("the map again", `(() => { const c = document.getElementById("big-map"); return c && c.dataset.state === "ready" })()`, nil)
	p.do("focus the map and press an arrow key", chromedp.Focus(chromedp.ID("big-map")), chromedp.KeyEvent(kb.ArrowRight))
	p.wait("a paper selected with the keyboard", `(() => { const t = document.querySelector(".map-wrap.big .tooltip"); return t && !t.hidden ? t.textContent : null })()`, &tip)
	p.do("press Enter", chromedp.KeyEvent(kb.Enter))
	p.wait("the paper opened with the keyboard", paperShown(""), &shown)
	if !strings.HasPrefix(tip, shown.Title) {
		t.Errorf("Enter on the map selection %q opened %q", tip, shown.Title)
	}
}

// errors: the API's own message is shown, for an unknown paper and for a bad
// query.
func testBrowserErrors(t *testing.T, p *page) {
	p.open("#/paper/" + url.PathEscape("no-such-paper"))
	var msg string
	p.wait("the error message", `(() => { const e = document.querySelector("main .message.error"); return e ? e.textContent : null })()`, &msg)
	if !strings.Contains(msg, `no paper with id "no-such-paper"`) {
		t.Errorf("an unknown paper shows %q, want the API's message", msg)
	}
	p.shot("unknown-paper")

	long := strings.Repeat("a", engine.MaxQueryLen+1)
	p.do("search with an over-long query", chromedp.Evaluate[chromedp.Void](`location.hash = "#/search?q=`+long+`"`))
	p.wait("the error message", `(() => { const e = document.querySelector("main .message.error"); return e && e.textContent.includes("limit") ? e.textContent : null })()`, &msg)
	if !strings.Contains(msg, fmt.Sprintf("the limit is %d", engine.MaxQueryLen)) {
		t.Errorf("an over-long query shows %q, want the API's message", msg)
	}

	p.do("search for nothing", chromedp.Evaluate[chromedp.Void](`location.hash = "#/search?q="`))
	p.wait("the empty-query hint", `(() => { const e = document.querySelector("main .message.empty"); return e ? e.textContent : null })()`, &msg)
	if !strings.Contains(msg, "Type a few words") {
		t.Errorf("an empty search shows %q", msg)
	}
}

// a map of 10,000 papers (made up in the page: the bundled corpus has about
// 300): the grid hit-test finds the same dot as a check of every dot, at
// several zooms, and drawing and hovering stay usable. Times are logged, not
// asserted.
func testBrowserBigMap(t *testing.T, p *page) {
	p.open("#/map")
	p.wait("the map", `(() => { const c = document.getElementById("big-map"); return c && c.dataset.state === "ready" })()`, nil)
	var res struct {
		Points     int
		Mismatches []string
		Hits       int
		HitMicros  float64
		DrawMillis float64
	}
	p.eval(`(() => {
		const m = window.recommendMaps.big;
		// 10,000 points in 12 Gaussian blobs, from a fixed-seed generator.
		let seed = 42;
		const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
		const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
		const centres = Array.from({length: 12}, () => [rnd() * 1.6 - 0.8, rnd() * 1.6 - 0.8]);
		const data = [];
		for (let i = 0; i < 10000; i++) {
			const c = i % 12;
			const x = Math.max(-1, Math.min(1, centres[c][0] + gauss() * 0.12));
			const y = Math.max(-1, Math.min(1, centres[c][1] + gauss() * 0.12));
			data.push({id: "synthetic-" + i, title: "Synthetic paper " + i, x, y, cluster: c});
		}
		let t0 = performance.now();
		m.setData({data, clusters: 12});
		m.drawBase();
		const drawMillis = performance.now() - t0;
		// Brute force: the nearest dot within reach, as hit() defines it.
		const brute = (sx, sy) => {
			const reach = Math.max(7, m.radius() + 4);
			let best = -1, bestD = reach * reach;
			m.points.forEach((pt, i) => {
				const [px, py] = m.toScreen(pt);
				const d = (px - sx) ** 2 + (py - sy) ** 2;
				if (d < bestD) { best = i; bestD = d; }
			});
			return best;
		};
		const mismatches = [];
		let hits = 0, calls = 0, hitTime = 0;
		for (const zoom of [1, 3, 12]) {
			m.resetView();
			if (zoom > 1) m.zoomAt(zoom, m.w * 0.4, m.h * 0.6);
			for (let k = 0; k < 400; k++) {
				const sx = rnd() * m.w, sy = rnd() * m.h;
				t0 = performance.now();
				const got = m.hit(sx, sy);
				hitTime += performance.now() - t0;
				calls++;
				const want = brute(sx, sy);
				if (got >= 0) hits++;
				// Equal, or equally near (ties between overlapping dots).
				if (got !== want) {
					const d = (i) => { if (i < 0) return -1; const [px, py] = m.toScreen(m.points[i]); return Math.hypot(px - sx, py - sy).toFixed(6); };
					if (d(got) !== d(want)) mismatches.push("zoom " + zoom + " at (" + sx.toFixed(1) + ", " + sy.toFixed(1) + "): grid " + got + ", brute force " + want);
				}
			}
		}
		m.resetView();
		return {points: m.points.length, mismatches, hits, hitMicros: hitTime / calls * 1000, drawMillis};
	})()`, &res)
	if res.Points != 10000 {
		t.Fatalf("the map holds %d points, want 10000", res.Points)
	}
	for _, m := range res.Mismatches {
		t.Errorf("hit test: %s", m)
	}
	if res.Hits < 100 {
		t.Errorf("only %d of 1200 random positions hit a dot among 10,000: the test points miss the data", res.Hits)
	}
	t.Logf("10,000 dots: drawn in %.1f ms; hit test %.1f µs per pointer move (%d of 1200 positions on a dot)", res.DrawMillis, res.HitMicros, res.Hits)

	// Hover and click through the real pointer path on a dot.
	var at struct{ X, Y float64 }
	p.eval(`window.recommendMaps.big.pointPosition("synthetic-0")`, &at)
	p.do("scroll the map into view", chromedp.Evaluate[chromedp.Void](`document.getElementById("big-map").scrollIntoView({block: "center"})`))
	p.eval(`window.recommendMaps.big.pointPosition("synthetic-0")`, &at)
	p.do("hover", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, at.X, at.Y))
	var tip string
	p.wait("the tooltip", `(() => { const t = document.querySelector(".map-wrap.big .tooltip"); return t && !t.hidden ? t.textContent : null })()`, &tip)
	if !strings.HasPrefix(tip, "Synthetic paper ") {
		t.Errorf("hovering over a dot of 10,000 shows %q", tip)
	}
	p.shot("map-10000")
}

// the retrieval-mode switch: /readyz lists the modes, the switch shows
// them with hybrid chosen, and searches send the chosen one.
func testBrowserModes(t *testing.T, p *page) {
	var (
		mu       sync.Mutex
		searches []string
	)
	paused := chromedp.Events(p.ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/v1/search?*"},
	}}); err != nil {
		t.Fatalf("intercept requests: %v", err)
	}
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			u := ev.Request.URL
			mu.Lock()
			searches = append(searches, u)
			mu.Unlock()
			_, _ = chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	p.open("")
	var modes []string
	p.wait("the mode switch", `(() => { const f = document.getElementById("mode"); return f && !f.hidden ? Array.from(f.querySelectorAll("input")).map(i => i.value + (i.checked ? "*" : "")) : null })()`, &modes)
	if want := []string{"hybrid*", "semantic", "lexical"}; !slices.Equal(modes, want) {
		t.Errorf("the switch offers %q (* = chosen), want %q", modes, want)
	}
	p.do("choose lexical and search",
		chromedp.Click(chromedp.CSS(`#mode label:nth-child(3)`)),
		chromedp.SendKeys(chromedp.ID("q"), "spiking neurons"+kb.Enter))
	p.wait("search results", cardIDs("search-results"), nil)
	p.shot("modes")
	mu.Lock()
	defer mu.Unlock()
	if len(searches) == 0 || !strings.Contains(searches[len(searches)-1], "mode=lexical") {
		t.Errorf("search requests %q, want the last with mode=lexical", searches)
	}
}
