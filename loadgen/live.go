package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fishpond"
	"fishpond/live"
)

// LiveConfig is `fishpond bench live`: N viewers on M live rooms, R comments per
// second per room offered open-loop, plus purchases.
type LiveConfig struct {
	URL      string
	Rooms    int
	Viewers  int
	Rate     float64 // comments per second per room
	BuyRate  float64 // purchases per second per room
	Duration time.Duration
	// Posters is how many accounts comment in each room; the server lets one
	// account comment once a second per session, so it must exceed Rate
	// (default 3 × Rate + 1).
	Posters int
	// Connect bounds concurrent viewer connects while the viewers join.
	Connect int
}

// LiveDefaults are the target load.
var LiveDefaults = LiveConfig{Rooms: 50, Viewers: 15000, Rate: 20, BuyRate: 0.2, Duration: 30 * time.Second, Connect: 200}

// LiveResult is the report; its JSON is the last line the bench prints.
type LiveResult struct {
	Rooms            int     `json:"rooms"`
	Viewers          int     `json:"viewers"`
	ViewersConnected int     `json:"viewers_connected"`
	RatePerRoom      float64 `json:"rate_per_room"`
	Seconds          float64 `json:"seconds"`
	CommentsOffered  int64   `json:"comments_offered"`
	CommentsAccepted int64   `json:"comments_accepted"`
	Purchases        int64   `json:"purchases"`
	OfferedPerS      float64 `json:"offered_per_s"` // deliveries offered per second
	DeliveriesPerS   float64 `json:"deliveries_per_s"`
	Delivered        int64   `json:"delivered"`
	Unacknowledged   int64   `json:"unacknowledged_delivered"` // deliveries of comments whose POST got no answer
	Expected         int64   `json:"expected"`
	Lost             int64   `json:"lost"`
	Duplicates       int64   `json:"duplicates"` // a comment a viewer received twice
	P50ms            float64 `json:"p50_ms"`
	P99ms            float64 `json:"p99_ms"`
	Maxms            float64 `json:"max_ms"`
	// Fan-out latency: from the server accepting a comment to its receipt.
	FanoutP50ms    float64 `json:"fanout_p50_ms"`
	FanoutP99ms    float64 `json:"fanout_p99_ms"`
	Errors         int64   `json:"errors"`
	ViewersDropped int64   `json:"viewers_dropped"`
	ServerRSSMB    float64 `json:"server_rss_mb"`
	ServerCPUs     float64 `json:"server_cpu_s"`  // CPU seconds the server used during the load
	LoadgenCPUs    float64 `json:"loadgen_cpu_s"` // and the load generator
	// DeliveriesPerServerCPUs is deliveries per CPU second of the server: what
	// one core would sustain, however busy the shared machine was.
	DeliveriesPerServerCPUs float64 `json:"deliveries_per_server_cpu_s"`
	IdleViewerKB            float64 `json:"idle_viewer_kb"`
	// FlushWindowMs is the server's batch window when the load ended (it widens
	// while batches go out late).
	FlushWindowMs float64 `json:"flush_window_ms"`
}

func (c *LiveConfig) normalise() error {
	f := map[string]string{}
	if c.Rooms <= 0 || c.Rooms > 10_000 {
		f["rooms"] = "1–10000"
	}
	if c.Viewers < c.Rooms || c.Viewers > 19_000 {
		f["viewers"] = "at least one per room, at most 19000 (one process may hold 20000 open files)"
	}
	if c.Rate <= 0 || c.Rate > 1000 {
		f["rate"] = "comments per second per room, above 0, at most 1000"
	}
	if c.BuyRate < 0 {
		f["buy-rate"] = "0 or more"
	}
	if c.Duration <= 0 {
		f["duration"] = "positive"
	}
	if len(f) > 0 {
		return fishpond.Invalid("bad bench live flags", f)
	}
	if c.Posters <= 0 {
		// Three seconds' worth: a poster's comments then arrive ≥ 3 s apart even
		// when a busy machine delays some and bunches others.
		c.Posters = int(math.Ceil(c.Rate*3)) + 1
	}
	if c.Connect <= 0 {
		c.Connect = LiveDefaults.Connect
	}
	return nil
}

// liveRoom is one bench room with its live session and its posters.
type liveRoom struct {
	session   string
	ok        []atomic.Bool // whether the server accepted comment seq (202)
	posters   []Buyer
	viewers   atomic.Int64 // connected viewers
	accepted  atomic.Int64 // comments the server accepted
	purchases atomic.Int64 // orders the server accepted
}

// latencies is a histogram of delivery latency in 1 ms buckets up to a minute,
// sharded so viewers do not contend on one cache line.
type latencies struct{ shards [16][60_001]atomic.Int64 }

func (l *latencies) add(shard int, d time.Duration) {
	ms := d.Milliseconds()
	if ms < 0 {
		ms = 0
	}
	if ms > 60_000 {
		ms = 60_000
	}
	l.shards[shard&15][ms].Add(1)
}

// quantiles returns the q-quantiles in ms and the maximum.
func (l *latencies) quantiles(qs ...float64) ([]float64, float64) {
	var merged [60_001]int64
	var n int64
	for s := range l.shards {
		for i := range merged {
			v := l.shards[s][i].Load()
			merged[i] += v
			n += v
		}
	}
	out := make([]float64, len(qs))
	maxMs := 0.0
	for i := len(merged) - 1; i >= 0; i-- {
		if merged[i] > 0 {
			maxMs = float64(i)
			break
		}
	}
	for qi, q := range qs {
		target := int64(math.Ceil(q * float64(n)))
		var acc int64
		for i, v := range merged {
			acc += v
			if acc >= target && n > 0 {
				out[qi] = float64(i)
				break
			}
		}
	}
	return out, maxMs
}

// liveFixture makes M certified bench anchors (members of the bench household)
// with one room each, each room live in a fresh session, a product to buy, and
// the posting accounts.
func (b *bench) liveFixture(ctx context.Context, cfg LiveConfig) ([]*liveRoom, string, error) {
	d := b.deps
	if d.Live == nil {
		return nil, "", errors.New("bench live needs the live service")
	}
	var fx Fixture
	pc := Config{}
	if err := d.product(ctx, &pc, &fx); err != nil {
		return nil, "", err
	}
	sh, err := d.shop(ctx)
	if err != nil {
		return nil, "", err
	}
	county, err := d.Registry.County(ctx, benchCounty)
	if err != nil {
		return nil, "", err
	}
	rooms := make([]*liveRoom, cfg.Rooms)
	for i := range rooms {
		p := fishpond.Principal{UserID: fmt.Sprintf("bench-anchor-%04d", i+1), Name: fmt.Sprintf("压测主播%d", i+1), Role: fishpond.RoleHousehold, HouseholdID: sh.OwnerID}
		a, err := d.Live.MyAnchor(ctx, p)
		if fishpond.Code(err) == fishpond.ENotFound {
			a, err = d.Live.Apply(ctx, p, live.AnchorInput{Kind: live.KindHousehold, DisplayName: p.Name, Bio: "压测 bench"})
		}
		if err != nil {
			return nil, "", fmt.Errorf("bench anchor %d: %w", i+1, err)
		}
		if a.Status != live.AnchorCertified {
			if _, err := d.Live.RecordTraining(ctx, fishpond.System, a.ID, live.TrainingInput{Course: "压测 bench", Minutes: 1, Passed: true, TrainedOn: time.Now().Format("2006-01-02")}); err != nil {
				return nil, "", err
			}
			if _, err := d.Live.Certify(ctx, fishpond.System, a.ID, true, ""); err != nil {
				return nil, "", err
			}
		}
		rs, err := d.Live.MyRooms(ctx, p)
		if err != nil {
			return nil, "", err
		}
		var room live.Room
		if len(rs) > 0 {
			room = rs[0]
		} else if room, err = d.Live.CreateRoom(ctx, p, sh.ID, fmt.Sprintf("压测直播间 %d", i+1)); err != nil {
			return nil, "", err
		}
		// A session left live by an earlier run ends; this run has its own.
		old, err := d.Live.Sessions(ctx, live.SessionFilter{RoomID: room.ID, Status: live.StatusLive})
		if err != nil {
			return nil, "", err
		}
		for _, o := range old {
			if _, err := d.Live.End(ctx, p, o.ID); err != nil {
				return nil, "", err
			}
		}
		ss, err := d.Live.Publish(ctx, room.ID, room.StreamKey)
		if err != nil {
			return nil, "", err
		}
		n := int(cfg.Rate*cfg.Duration.Seconds()*1.5) + 100
		rooms[i] = &liveRoom{session: ss.ID, ok: make([]atomic.Bool, n)}
	}
	posters, err := b.buyers(ctx, cfg.Rooms*cfg.Posters, county.ProvinceCode)
	if err != nil {
		return nil, "", err
	}
	for i, r := range rooms {
		r.posters = posters[i*cfg.Posters : (i+1)*cfg.Posters]
	}
	return rooms, fx.ProductID, nil
}

// viewerStats are what the viewers count besides comments.
type viewerStats struct {
	purchases atomic.Int64
	dropped   atomic.Int64
}

// liveSink is where every viewer records what it measures.
type liveSink struct {
	lat, fan *latencies
	st       *viewerStats
}

// liveViewer is one viewer: its stream's unparsed bytes and what it received —
// a bit per comment sequence number of its room (so every (room, sequence) is
// checked for every viewer, and a copy received twice is caught). Only the
// goroutine reading the viewer's connection writes it, and it is read after that
// ended; got counts bench comments as they come, for the wait at the end.
type liveViewer struct {
	room  *liveRoom
	idx   int
	sink  *liveSink
	ready func(error) // called once: the stream opened (nil) or could not (the error)

	buf    []byte
	have   int
	opened bool // the first message (hello) came: the viewer's comments are expected

	seen  []uint64
	dups  int64
	other int64 // bench comments with a sequence number out of range
	got   atomic.Int64
}

func (v *liveViewer) mark(seq int) {
	w, bit := seq>>6, uint64(1)<<(seq&63)
	if v.seen[w]&bit != 0 {
		v.dups++
		return
	}
	v.seen[w] |= bit
}

func (v *liveViewer) has(seq int) bool { return v.seen[seq>>6]&(uint64(1)<<(seq&63)) != 0 }

// space is the free end of the viewer's buffer, grown when one line fills it.
func (v *liveViewer) space() []byte {
	if v.have == len(v.buf) {
		v.buf = append(v.buf, make([]byte, len(v.buf))...)
	}
	return v.buf[v.have:]
}

// ended records the viewer's stream ending: before it opened, that is a failed
// connect; after, and before the run ends (ctx), the server dropped the viewer.
func (v *liveViewer) ended(ctx context.Context, err error) {
	if !v.opened {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		v.ready(err)
		return
	}
	if ctx.Err() == nil {
		v.sink.st.dropped.Add(1)
	}
}

var (
	benchMark  = []byte(`"text":"bench|`)
	atMark     = []byte(`"at":`)
	purchaseT  = []byte(`"t":"purchase"`)
	dataPrefix = []byte("data: ")
)

// parseUint reads the decimal number at the start of b, up to end (a byte that
// must follow it); ok is false if there is none.
func parseUint(b []byte, end byte) (n int64, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && i < 19 && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if i == 0 || i >= len(b) || b[i] != end {
		return 0, nil, false
	}
	return n, b[i+1:], true
}

// consume handles the complete lines among the n bytes just read (received at
// now), keeping a partial line for the next read. It parses only what it needs of
// each message: the comment's sequence number, its send time and "at".
func (v *liveViewer) consume(n int, now time.Time) {
	v.have += n
	data := v.buf[:v.have]
	r := v.room
	for {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			break
		}
		line := data[:nl]
		data = data[nl+1:]
		if !bytes.HasPrefix(line, dataPrefix) {
			continue
		}
		if !v.opened {
			v.opened = true
			r.viewers.Add(1)
			v.ready(nil)
			continue
		}
		i := bytes.Index(line, benchMark)
		if i < 0 {
			if bytes.Contains(line, purchaseT) {
				v.sink.st.purchases.Add(1)
			}
			continue
		}
		// "bench|<sent, Unix ns>|<seq>|…"
		ns, rest, ok := parseUint(line[i+len(benchMark):], '|')
		if !ok {
			continue
		}
		seq, _, ok := parseUint(rest, '|')
		if !ok {
			continue
		}
		v.got.Add(1)
		if seq >= int64(len(r.ok)) {
			v.other++
			continue
		}
		v.mark(int(seq))
		v.sink.lat.add(v.idx, now.Sub(time.Unix(0, ns)))
		// "at" is when the server accepted the comment: receipt minus it is
		// the fan-out alone, without the comment's own HTTP request.
		if a := bytes.LastIndex(line, atMark); a >= 0 {
			if ms, _, ok := parseUint(line[a+len(atMark):], '}'); ok {
				v.sink.fan.add(v.idx, now.Sub(time.UnixMilli(ms)))
			} else if ms, _, ok := parseUint(line[a+len(atMark):], ','); ok {
				v.sink.fan.add(v.idx, now.Sub(time.UnixMilli(ms)))
			}
		}
	}
	v.have = copy(v.buf, data)
}

// openStream opens a viewer's event stream as a browser would (one connection,
// GET, Accept: text/event-stream) on a plain TCP connection: the viewers are the
// load generator's main cost, so they skip net/http's per-connection goroutines
// and buffers. It returns the connection and the body bytes read with the headers.
func (b *bench) openStream(ctx context.Context, session string) (net.Conn, []byte, bool, error) {
	u, err := url.Parse(b.cfg.URL)
	if err != nil {
		return nil, nil, false, err
	}
	if u.Scheme != "http" {
		return nil, nil, false, fmt.Errorf("bench live viewers speak plain http, not %s", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", host)
	if err != nil {
		return nil, nil, false, err
	}
	req := "GET " + strings.TrimRight(u.Path, "/") + "/live/sessions/" + session + "/events HTTP/1.1\r\nHost: " + u.Host +
		"\r\nAccept: text/event-stream\r\nUser-Agent: fishpond-bench\r\n\r\n"
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		conn.Close()
		return nil, nil, false, err
	}
	buf := make([]byte, 0, 4<<10)
	for {
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			head, body := string(buf[:i]), buf[i+4:]
			status, _, _ := strings.Cut(head, "\r\n")
			if !strings.HasPrefix(status, "HTTP/1.1 200 ") && !strings.HasPrefix(status, "HTTP/1.0 200 ") {
				conn.Close()
				return nil, nil, false, fmt.Errorf("events: %s", status)
			}
			chunked := strings.Contains(strings.ToLower(head), "\r\ntransfer-encoding: chunked")
			conn.SetDeadline(time.Time{})
			return conn, append([]byte(nil), body...), chunked, nil
		}
		if len(buf) == cap(buf) {
			conn.Close()
			return nil, nil, false, errors.New("events: response headers too long")
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			conn.Close()
			return nil, nil, false, err
		}
	}
}

// viewer opens one viewer's event stream and reads it until ctx ends: on Linux
// it hands the connection to the pollers (a few goroutines reading every viewer
// through epoll, so a message costs one read and no goroutine switch), elsewhere
// (or behind a proxy that chunks the stream) it reads it in this goroutine.
func (b *bench) viewer(ctx context.Context, v *liveViewer, polls *livePollers) {
	conn, pre, chunked, err := b.openStream(ctx, v.room.session)
	if err != nil {
		v.ready(err)
		return
	}
	var src io.Reader = conn
	if chunked { // not the hub's own stream (a proxy in front): undo the chunking
		src = httputil.NewChunkedReader(bufio.NewReader(io.MultiReader(bytes.NewReader(pre), conn)))
	} else {
		for len(pre) > 0 {
			n := copy(v.space(), pre)
			v.consume(n, time.Now())
			pre = pre[n:]
		}
		if polls != nil && polls.add(v, conn) {
			return
		}
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	for {
		n, err := src.Read(v.space())
		if n > 0 {
			v.consume(n, time.Now())
		}
		if err != nil {
			v.ended(ctx, err)
			return
		}
	}
}

// selfCPU is the CPU time this process has used.
func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// serverMetric reads one value from the server's /metrics.
func (b *bench) serverMetric(ctx context.Context, name string) float64 {
	req, _ := http.NewRequestWithContext(ctx, "GET", b.cfg.URL+"/metrics", nil)
	res, err := b.c.hc.Do(req)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// RunLive runs `fishpond bench live` and writes its report to out, ending with
// one JSON line.
func RunLive(ctx context.Context, cfg LiveConfig, deps Deps, out io.Writer) (LiveResult, error) {
	if err := cfg.normalise(); err != nil {
		return LiveResult{}, err
	}
	b := &bench{cfg: Config{URL: strings.TrimRight(cfg.URL, "/")}, deps: deps, c: newClient(strings.TrimRight(cfg.URL, "/"), 512), log: out}
	defer b.c.close()
	if _, err := b.c.do(ctx, request{method: "GET", path: "/healthz"}); err != nil {
		return LiveResult{}, fmt.Errorf("server at %s is not answering /healthz: %w", cfg.URL, err)
	}
	setup := time.Now()
	rooms, productID, err := b.liveFixture(ctx, cfg)
	if err != nil {
		return LiveResult{}, err
	}
	b.logf("setup: %d live rooms, %d posters each, ready in %s", cfg.Rooms, cfg.Posters, time.Since(setup).Round(time.Millisecond))

	// Viewers: one connection each, as browsers would open them.
	vctx, stopViewers := context.WithCancel(ctx)
	defer stopViewers()
	rssBefore := b.serverMetric(ctx, "fishpond_live_rss_bytes")
	sink := &liveSink{lat: &latencies{}, fan: &latencies{}, st: &viewerStats{}}
	lat, fan, st := sink.lat, sink.fan, sink.st
	polls := startLivePollers(vctx, sink)
	var connectErrs atomic.Int64
	var vwg sync.WaitGroup
	sem := make(chan struct{}, cfg.Connect)
	joinStart := time.Now()
	var joined sync.WaitGroup
	viewers := make([]*liveViewer, cfg.Viewers)
	for i := range viewers {
		r := rooms[i%cfg.Rooms]
		var once sync.Once
		v := &liveViewer{room: r, idx: i, sink: sink, buf: make([]byte, 2<<10), seen: make([]uint64, (len(r.ok)+63)/64)}
		v.ready = func(err error) {
			once.Do(func() {
				if err != nil {
					connectErrs.Add(1)
				}
				<-sem
				joined.Done()
			})
		}
		viewers[i] = v
		sem <- struct{}{}
		joined.Add(1)
		vwg.Add(1)
		go func() {
			defer vwg.Done()
			b.viewer(vctx, v, polls)
		}()
	}
	joined.Wait()
	var connected int64
	for _, r := range rooms {
		connected += r.viewers.Load()
	}
	b.logf("viewers: %d of %d connected in %s (%d failed)", connected, cfg.Viewers, time.Since(joinStart).Round(time.Millisecond), connectErrs.Load())
	time.Sleep(3 * time.Second) // idle: let the server settle before measuring memory
	rssIdle := b.serverMetric(ctx, "fishpond_live_rss_bytes")

	// Load: open loop, each room on its own schedule.
	pc := newClient(b.cfg.URL, 1024)
	defer pc.close()
	var offered, errs, buys atomic.Int64
	errKinds := sync.Map{}
	var pwg sync.WaitGroup
	loadCtx, stopLoad := context.WithTimeout(ctx, cfg.Duration)
	cpuServer0, cpuSelf0 := b.serverMetric(ctx, "fishpond_live_cpu_seconds"), selfCPU()
	start := time.Now()
	post := func(r *liveRoom, seq int, poster Buyer, body []byte) {
		defer pwg.Done()
		_, err := pc.do(ctx, request{method: "POST", path: "/api/v1/live/sessions/" + r.session + "/comments", token: poster.Token, body: body, want: []int{http.StatusAccepted}})
		if err != nil {
			errs.Add(1)
			k := "other"
			var ce *callError
			if errors.As(err, &ce) {
				k = ce.kind()
			}
			v, _ := errKinds.LoadOrStore(k, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			return
		}
		r.accepted.Add(1)
		r.ok[seq].Store(true)
	}
	buy := func(r *liveRoom, buyer Buyer, key string) {
		defer pwg.Done()
		body := fmt.Sprintf(`{"address_id":%q,"lines":[{"product_id":%q,"qty":1}]}`, buyer.AddressID, productID)
		_, err := pc.do(ctx, request{method: "POST", path: "/api/v1/live/sessions/" + r.session + "/orders", token: buyer.Token, body: []byte(body), idemKey: key})
		if err != nil {
			errs.Add(1)
			v, _ := errKinds.LoadOrStore("purchase", new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
			return
		}
		r.purchases.Add(1)
		buys.Add(1)
	}
	var swg sync.WaitGroup
	for ri, r := range rooms {
		swg.Add(1)
		go func(ri int, r *liveRoom) {
			defer swg.Done()
			interval := time.Duration(float64(time.Second) / cfg.Rate)
			// Rooms start staggered so their ticks do not all coincide.
			next := start.Add(time.Duration(ri) * interval / time.Duration(cfg.Rooms))
			var buyNext time.Time
			var buyEvery time.Duration
			if cfg.BuyRate > 0 {
				buyEvery = time.Duration(float64(time.Second) / cfg.BuyRate)
				buyNext = start.Add(buyEvery / 2)
			}
			seq := 0
			for {
				wait := time.Until(next)
				if wait > 0 {
					select {
					case <-loadCtx.Done():
						return
					case <-time.After(wait):
					}
				} else if loadCtx.Err() != nil {
					return
				}
				// The schedule, not the server, decides when the next comment goes.
				next = next.Add(interval)
				seq++
				if seq >= len(r.ok) {
					return // the schedule fell far behind: the report shows it
				}
				poster := r.posters[seq%len(r.posters)]
				body := []byte(fmt.Sprintf(`{"body":"bench|%d|%d|r%d"}`, time.Now().UnixNano(), seq, ri))
				offered.Add(1)
				pwg.Add(1)
				go post(r, seq, poster, body)
				if buyEvery > 0 && !time.Now().Before(buyNext) {
					buyNext = buyNext.Add(buyEvery)
					pwg.Add(1)
					go buy(r, r.posters[(seq+1)%len(r.posters)], fmt.Sprintf("bench-live-%d-%d-%d", start.UnixNano(), ri, seq))
				}
			}
		}(ri, r)
	}
	swg.Wait()
	stopLoad()
	pwg.Wait()
	loadEnd := time.Now()
	window := b.serverMetric(ctx, "fishpond_live_flush_window_seconds")
	// Deliveries still in flight arrive within a few batches. Only comments the
	// server acknowledged are expected; one whose answer timed out may still be
	// delivered, and is reported apart.
	var expected int64
	for _, r := range rooms {
		expected += r.accepted.Load() * r.viewers.Load()
	}
	received := func() (n int64) {
		for _, v := range viewers {
			n += v.got.Load()
		}
		return n
	}
	// Wait until every expected copy could have arrived (copies of unanswered
	// comments count too, so also until nothing more comes for half a second).
	deadline := time.Now().Add(10 * time.Second)
	last, lastChange := int64(-1), time.Now()
	for time.Now().Before(deadline) {
		n := received()
		if n != last {
			last, lastChange = n, time.Now()
		}
		if n >= expected && time.Since(lastChange) >= 500*time.Millisecond {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rssLoaded := b.serverMetric(ctx, "fishpond_live_rss_bytes")
	cpuServer, cpuSelf := b.serverMetric(ctx, "fishpond_live_cpu_seconds")-cpuServer0, selfCPU()-cpuSelf0
	stopViewers()
	vwg.Wait()
	polls.wait()
	// Every viewer that joined must have every comment of its room the server
	// acknowledged, once.
	var delivered, extra, dups int64
	for _, v := range viewers {
		dups += v.dups
		extra += v.other
		if !v.opened {
			continue
		}
		for seq := range v.room.ok {
			switch {
			case v.has(seq) && v.room.ok[seq].Load():
				delivered++
			case v.has(seq):
				extra++
			}
		}
	}
	secs := loadEnd.Sub(start).Seconds()
	qs, maxMs := lat.quantiles(0.5, 0.99)
	fq, _ := fan.quantiles(0.5, 0.99)
	res := LiveResult{Rooms: cfg.Rooms, Viewers: cfg.Viewers, ViewersConnected: int(connected), RatePerRoom: cfg.Rate, Seconds: math.Round(secs*10) / 10,
		CommentsOffered: offered.Load(), Purchases: buys.Load(), Delivered: delivered, Unacknowledged: extra, Expected: expected,
		P50ms: qs[0], P99ms: qs[1], Maxms: maxMs, FanoutP50ms: fq[0], FanoutP99ms: fq[1], Errors: errs.Load() + connectErrs.Load(), ViewersDropped: st.dropped.Load(),
		Duplicates: dups, FlushWindowMs: math.Round(window * 1000), ServerRSSMB: math.Round(rssLoaded/(1<<20)*10) / 10, ServerCPUs: math.Round(cpuServer*10) / 10, LoadgenCPUs: math.Round(cpuSelf*10) / 10}
	if cpuServer > 0 {
		res.DeliveriesPerServerCPUs = math.Round(float64(delivered) / cpuServer)
	}
	for _, r := range rooms {
		res.CommentsAccepted += r.accepted.Load()
	}
	res.Lost = res.Expected - res.Delivered
	res.OfferedPerS = math.Round(cfg.Rate * float64(connected))
	res.DeliveriesPerS = math.Round(float64(res.Delivered) / secs)
	if connected > 0 && rssIdle > rssBefore {
		res.IdleViewerKB = math.Round((rssIdle-rssBefore)/float64(connected)/1024*10) / 10
	}
	b.logf("load: %.0f s, %d comments offered (%.0f/s), %d accepted, %d purchases", secs, res.CommentsOffered, float64(res.CommentsOffered)/secs, res.CommentsAccepted, res.Purchases)
	b.logf("deliveries: %d of %d expected (%d lost, %d duplicates; %d more of unanswered comments), %.0f/s offered, %.0f/s delivered",
		res.Delivered, res.Expected, res.Lost, res.Duplicates, res.Unacknowledged, res.OfferedPerS, res.DeliveriesPerS)
	b.logf("latency (post to receipt): p50 %.0f ms, p99 %.0f ms, max %.0f ms; fan-out alone (accepted to receipt): p50 %.0f ms, p99 %.0f ms",
		res.P50ms, res.P99ms, res.Maxms, res.FanoutP50ms, res.FanoutP99ms)
	b.logf("cpu: server %.1f s, load generator %.1f s (%.0f deliveries per server CPU second); server's batch window at the end %.0f ms",
		res.ServerCPUs, res.LoadgenCPUs, res.DeliveriesPerServerCPUs, res.FlushWindowMs)
	errKinds.Range(func(k, v any) bool { b.logf("errors: %s %d", k, v.(*atomic.Int64).Load()); return true })
	b.logf("server memory: %.1f MB before viewers, %.1f MB with %d idle viewers (%.1f KB each), %.1f MB under load; %d viewers dropped by the server",
		rssBefore/(1<<20), rssIdle/(1<<20), connected, res.IdleViewerKB, rssLoaded/(1<<20), res.ViewersDropped)
	j, _ := json.Marshal(res)
	fmt.Fprintln(out, string(j))
	return res, nil
}
