package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/live"
	"fishpond/market"
)

func init() {
	capabilityPages = append(capabilityPages, func(s *Server, m *http.ServeMux) {
		if s.Live == nil {
			return
		}
		m.HandleFunc("GET /live", s.public(s.liveDiscoveryPage))
		m.HandleFunc("GET /live/console", s.page(s.liveConsolePage))
		m.HandleFunc("GET /live/{id}", s.public(s.liveWatchPage))
		m.HandleFunc("GET /live/sessions/{id}/events", s.liveEvents)
		m.HandleFunc("GET /live/sessions/{id}/report", s.page(s.liveReportPage))
		m.HandleFunc("GET /live/campaigns/{id}", s.public(s.liveCampaignPage))
		m.HandleFunc("GET /live/anchors/{id}", s.public(s.liveAnchorPage))
		// The media server's callbacks: authenticated by the shared secret in their
		// URL, sent without an Origin header.
		m.HandleFunc("POST /live/media/{event}", s.liveMedia)
		hub := s.Live.Hub()
		s.metrics.Gauge("fishpond_live_viewers", "Viewers connected to this instance's live rooms.", func() float64 { return float64(hub.Stats().Viewers) })
		s.metrics.Gauge("fishpond_live_delivered_total", "Live messages handed to this instance's viewers.", func() float64 { return float64(hub.Stats().Delivered) })
		s.metrics.Gauge("fishpond_live_dropped_total", "Viewers this instance cut off for falling behind.", func() float64 { return float64(hub.Stats().Dropped) })
		s.metrics.Gauge("fishpond_live_flush_window_seconds", "How long a room gathers messages into one batch now (it widens while batches go out late).", func() float64 { return hub.Stats().Window.Seconds() })
		s.metrics.Gauge("fishpond_live_rss_bytes", "Resident memory of this process (Linux), for the live benchmark.", residentBytes)
		s.metrics.Gauge("fishpond_live_cpu_seconds", "CPU time this process has used (Linux), for the live benchmark.", cpuSeconds)
	})
	addMessages(map[string]string{
		"Household member":       "农户主播",
		"Recently ended":         "最近结束的直播",
		"Cooperative staff":      "合作社主播",
		"County official":        "干部主播",
		"Certified":              "已认证",
		"Not certified":          "未通过",
		"Awaiting certification": "待认证",
		"On air":                 "直播中",
		"Scheduled":              "预告",
		"Ended":                  "已结束",
		"Enter the RTMP server and stream key below in your phone's streaming app (or OBS) and start streaming. The session goes live when the picture arrives and ends when you stop.": "在手机推流应用（或 OBS）中填入下面的推流地址和串流密钥，点“开始推流”。画面一到，直播自动开始；停止推流即结束。",
		"Live":                               "直播",
		"Live now":                           "正在直播",
		"Upcoming":                           "即将开播",
		"Campaigns":                          "直播活动",
		"All counties":                       "全部县",
		"Filter":                             "筛选",
		"viewers":                            "人观看",
		"No session is live right now.":      "现在没有直播。",
		"Nothing scheduled.":                 "暂无预告。",
		"Anchor console":                     "主播后台",
		"Poverty county":                     "贫困县",
		"Comments":                           "评论",
		"Say something":                      "说点什么",
		"Send":                               "发送",
		"Like":                               "点赞",
		"Log in to comment and buy":          "登录后可评论和购买",
		"Buy now":                            "立即购买",
		"left":                               "剩余",
		"Ends in":                            "距结束",
		"Quantity":                           "数量",
		"Delivery address":                   "收货地址",
		"Add an address in your cart first":  "请先在购物车添加收货地址",
		"Pinned":                             "置顶商品",
		"Products in this session":           "本场商品",
		"The broadcast has not started yet.": "直播尚未开始。",
		"The broadcast has ended.":           "直播已结束。",
		"Watch the replay":                   "观看回放",
		"Session report":                     "场次报告",
		"Peak viewers":                       "最高在线",
		"Unique viewers":                     "观看人数",
		"Orders":                             "订单",
		"GMV":                                "成交额",
		"Conversion":                         "转化率",
		"Likes":                              "点赞",
		"Become an anchor":                   "申请成为主播",
		"Anchor kind":                        "主播类型",
		"County code":                        "县代码",
		"About you":                          "个人简介",
		"Apply":                              "提交申请",
		"Your rooms":                         "我的直播间",
		"New room":                           "新建直播间",
		"Title":                              "标题",
		"Create":                             "创建",
		"How to go live":                     "如何开播",
		"RTMP server":                        "推流地址",
		"Stream key":                         "串流密钥",
		"Rotate key":                         "更换密钥",
		"Schedule a session":                 "预告一场直播",
		"Starts":                             "开始",
		"Ends":                               "结束",
		"Sessions":                           "场次",
		"Pin":                                "置顶",
		"Unpin":                              "取消置顶",
		"Start flash sale":                   "开始秒杀",
		"Price (yuan)":                       "价格（元）",
		"Per buyer":                          "每人限购",
		"Seconds":                            "秒数",
		"End broadcast":                      "结束直播",
		"Report":                             "报告",
		"Watch":                              "观看",
		"Anchors to certify":                 "待认证主播",
		"Record training":                    "记录培训",
		"Course":                             "课程",
		"Minutes":                            "分钟",
		"Passed":                             "通过",
		"Date":                               "日期",
		"Certify":                            "认证",
		"Reason":                             "原因",
		"Leaderboard":                        "排行榜",
		"Rooms live":                         "直播中",
		"Counties":                           "县",
		"Rooms":                              "直播间",
		"Viewers":                            "在线",
		"Training":                           "培训记录",
		"Live minutes":                       "直播分钟",
		"Shop":                               "商城",
		"Your application is waiting for certification by your county.": "您的申请正在等待县里认证。",
		"Viewers, comments and orders by minute":                        "每分钟在线、评论和订单",
	})
}

func (s *Server) liveDiscoveryPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	county := r.URL.Query().Get("county")
	liveNow, err := s.Live.Sessions(r.Context(), live.SessionFilter{Status: live.StatusLive, County: county, Limit: 100})
	if err != nil {
		return err
	}
	upcoming, err := s.Live.Sessions(r.Context(), live.SessionFilter{Status: live.StatusScheduled, County: county, Limit: 50})
	if err != nil {
		return err
	}
	// Broadcasts just ended: what a visitor can replay, and who sells from where.
	recent, err := s.Live.Sessions(r.Context(), live.SessionFilter{Status: live.StatusEnded, County: county, Limit: 10})
	if err != nil {
		return err
	}
	camps, err := s.Live.Campaigns(r.Context(), 10)
	if err != nil {
		return err
	}
	type card struct {
		S       live.Session
		County  string
		Viewers int64
	}
	names := map[string]string{}
	cardOf := func(ss live.Session) card {
		if _, ok := names[ss.CountyCode]; !ok {
			if c, err := s.Registry.County(r.Context(), ss.CountyCode); err == nil {
				names[ss.CountyCode] = c.Name
			}
		}
		return card{ss, names[ss.CountyCode], s.Live.Hub().Viewers(ss.ID)}
	}
	var lc, uc []card
	for _, ss := range liveNow {
		lc = append(lc, cardOf(ss))
	}
	slices.SortStableFunc(lc, func(a, b card) int { return int(b.Viewers - a.Viewers) })
	for _, ss := range upcoming {
		uc = append(uc, cardOf(ss))
	}
	var rc []card
	for _, ss := range recent {
		rc = append(rc, cardOf(ss))
	}
	// The county filter offers the counties that have sessions now or soon.
	all, err := s.Live.Sessions(r.Context(), live.SessionFilter{Limit: 500})
	if err != nil {
		return err
	}
	type opt struct{ Code, Name string }
	var counties []opt
	seen := map[string]bool{}
	for _, ss := range all {
		if !seen[ss.CountyCode] {
			seen[ss.CountyCode] = true
			cardOf(ss)
			counties = append(counties, opt{ss.CountyCode, names[ss.CountyCode]})
		}
	}
	v := s.view(r, "live")
	v.Title = translate(v.Lang, "Live")
	v.Data = map[string]any{"Live": lc, "Upcoming": uc, "Recent": rc, "Campaigns": camps, "Counties": counties, "County": county}
	s.render(w, r, http.StatusOK, "live", v)
	return nil
}

// residentBytes reads this process's resident set size from /proc (0 where
// there is none).
func residentBytes() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize())
}

// cpuSeconds reads this process's user and system CPU time from /proc (0 where
// there is none); the benchmark divides work done by it, which a busy shared
// machine does not distort the way wall-clock rates are distorted.
func cpuSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) end at ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

// flashView is an active flash sale as the watch page shows it.
type flashView struct {
	market.FlashSale
	Left    int64
	EndsMs  int64
	Product market.Product
}

func (s *Server) liveWatchPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx := r.Context()
	ss, err := s.Live.Session(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	var products []market.Product
	var pinned *market.Product
	for _, id := range ss.Products {
		p, err := s.Market.Product(ctx, id)
		if err != nil {
			return err
		}
		products = append(products, p)
		if p.ID == ss.PinnedProductID {
			pinned = &p
		}
	}
	var flash *flashView
	if ss.PinnedFlashID != "" {
		if f, err := s.Market.FlashSale(ctx, ss.PinnedFlashID); err == nil && f.Active(time.Now()) && pinned != nil {
			flash = &flashView{f, f.Quantity - f.Sold, f.EndsAt.UnixMilli(), *pinned}
		}
	}
	comments, err := s.Live.Comments(ctx, ss.ID, 50)
	if err != nil {
		return err
	}
	var addrs []market.Address
	if u.ID != "" {
		if addrs, err = s.Market.Addresses(ctx, u.Principal()); err != nil {
			return err
		}
	}
	sh, err := s.Market.Shop(ctx, ss.ShopID)
	if err != nil {
		return err
	}
	c, err := s.Registry.County(ctx, ss.CountyCode)
	if err != nil {
		return err
	}
	playback := s.Live.PlaybackURL(ss.RoomID)
	s.allowMedia(w, playback)
	v := s.view(r, "live_watch")
	v.Title = ss.Title
	v.Data = map[string]any{"S": ss, "Playback": playback, "Products": products, "Pinned": pinned, "Flash": flash, "Comments": comments,
		"Addresses": addrs, "Shop": sh, "County": c, "Viewers": s.Live.Hub().Viewers(ss.ID), "Key": newIdemKey()}
	s.render(w, r, http.StatusOK, "live_watch", v)
	return nil
}

// allowMedia widens the content security policy of a page that plays video:
// hls.js fetches the playlist and segments from the media server's origin and
// feeds them to the video element through a blob: URL.
func (s *Server) allowMedia(w http.ResponseWriter, playback string) {
	origin := ""
	if u, err := parseURL(playback); err == nil && u.Host != "" {
		origin = " " + u.Scheme + "://" + u.Host
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "+
		"connect-src 'self'"+origin+"; media-src 'self' blob:"+origin+"; worker-src 'self' blob:; frame-ancestors 'none'")
}

func newIdemKey() string { return "live-" + time.Now().Format("20060102150405.000000000") }

func (s *Server) liveConsolePage(w http.ResponseWriter, r *http.Request, u access.User) error {
	ctx := r.Context()
	p := u.Principal()
	data := map[string]any{}
	a, err := s.Live.MyAnchor(ctx, p)
	switch {
	case err == nil:
		data["Anchor"] = a
		st, err := s.Live.Stats(ctx, a.ID)
		if err != nil {
			return err
		}
		data["Stats"] = st
	case fishpond.Code(err) != fishpond.ENotFound:
		return err
	}
	type roomView struct {
		live.Room
		Server, StreamName, Playback string
		Sessions                     []live.Session
		Products                     []market.Product
	}
	var rooms []roomView
	rs, err := s.Live.MyRooms(ctx, p)
	if err != nil {
		return err
	}
	for _, rm := range rs {
		server, name := s.Live.PublishURL(rm)
		ss, err := s.Live.Sessions(ctx, live.SessionFilter{RoomID: rm.ID, Limit: 20})
		if err != nil {
			return err
		}
		prods, err := s.Market.ShopProducts(ctx, rm.ShopID)
		if err != nil {
			return err
		}
		rooms = append(rooms, roomView{rm, server, name, s.Live.PlaybackURL(rm.ID), ss, prods})
	}
	data["Rooms"] = rooms
	shops, err := s.Market.SellerShops(ctx, p)
	if err != nil {
		return err
	}
	data["Shops"] = shops
	// County officers certify their counties' applicants here.
	var pending []live.Anchor
	if u.Role == fishpond.RoleCountyOfficer {
		for _, c := range u.Counties {
			as, err := s.Live.Anchors(ctx, p, c, live.AnchorApplied)
			if err != nil {
				return err
			}
			pending = append(pending, as...)
		}
	}
	data["Pending"] = pending
	data["Today"] = time.Now().In(fishpond.ChinaTime).Format("2006-01-02")
	data["Now"] = time.Now().In(fishpond.ChinaTime).Format("2006-01-02T15:04")
	data["Later"] = time.Now().Add(2 * time.Hour).In(fishpond.ChinaTime).Format("2006-01-02T15:04")
	data["Counties"] = u.Counties
	v := s.view(r, "live_console")
	v.Title = translate(v.Lang, "Anchor console")
	v.Data = data
	s.render(w, r, http.StatusOK, "live_console", v)
	return nil
}

// chartOption marshals an ECharts option for a data-series attribute.
func chartOption(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (s *Server) liveReportPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	rep, err := s.Live.Report(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.view(r, "live_report")
	var xs []string
	var viewers, comments, orders []int64
	for _, m := range rep.Minutes {
		xs = append(xs, m.At.In(fishpond.ChinaTime).Format("15:04"))
		viewers, comments, orders = append(viewers, m.PeakViewers), append(comments, m.Comments), append(orders, m.Orders)
	}
	opt := map[string]any{
		"tooltip": map[string]any{"trigger": "axis"}, "legend": map[string]any{"bottom": 0},
		"grid":  map[string]any{"left": 8, "right": 8, "top": 16, "bottom": 40, "containLabel": true},
		"xAxis": map[string]any{"type": "category", "data": xs},
		"yAxis": []map[string]any{{"type": "value"}, {"type": "value", "minInterval": 1}},
		"series": []map[string]any{
			{"name": translate(v.Lang, "Peak viewers"), "type": "line", "data": viewers},
			{"name": translate(v.Lang, "Comments"), "type": "bar", "data": comments},
			{"name": translate(v.Lang, "Orders"), "type": "bar", "yAxisIndex": 1, "data": orders},
		},
	}
	v.Title = translate(v.Lang, "Session report") + " · " + rep.Session.Title
	v.Data = map[string]any{"R": rep, "Chart": chartOption(opt), "Conversion": fmt.Sprintf("%.1f%%", float64(rep.Totals.ConversionBp)/100)}
	s.render(w, r, http.StatusOK, "live_report", v)
	return nil
}

func (s *Server) liveCampaignPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	b, err := s.Live.Leaderboard(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := s.view(r, "live_campaign")
	type row struct {
		live.Standing
		Rank   int
		County string
	}
	var rows []row
	var names []string
	var gmv []float64
	for i, st := range b.Rooms {
		c, _ := s.Registry.County(r.Context(), st.CountyCode)
		rows = append(rows, row{st, i + 1, c.Name})
		if i < 10 {
			names = append(names, st.RoomTitle)
			gmv = append(gmv, float64(st.GMV)/100)
		}
	}
	opt := map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"grid":    map[string]any{"left": 8, "right": 40, "top": 8, "bottom": 8, "containLabel": true},
		"xAxis":   map[string]any{"type": "value"},
		"yAxis":   map[string]any{"type": "category", "inverse": true, "data": names},
		"series":  []map[string]any{{"name": translate(v.Lang, "GMV"), "type": "bar", "data": gmv, "label": map[string]any{"show": true, "position": "right"}}},
	}
	v.Title = b.Campaign.Name
	v.Data = map[string]any{"B": b, "Rows": rows, "Chart": chartOption(opt)}
	s.render(w, r, http.StatusOK, "live_campaign", v)
	return nil
}

func (s *Server) liveAnchorPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	a, err := s.Live.Anchor(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	st, err := s.Live.Stats(r.Context(), a.ID)
	if err != nil {
		return err
	}
	ts, err := s.Live.Trainings(r.Context(), a.ID)
	if err != nil {
		return err
	}
	ss, err := s.Live.Sessions(r.Context(), live.SessionFilter{AnchorID: a.ID, Limit: 30})
	if err != nil {
		return err
	}
	c, err := s.Registry.County(r.Context(), a.CountyCode)
	if err != nil {
		return err
	}
	v := s.view(r, "live_anchor")
	v.Title = a.DisplayName
	v.Data = map[string]any{"A": a, "Stats": st, "Trainings": ts, "Sessions": ss, "County": c}
	s.render(w, r, http.StatusOK, "live_anchor", v)
	return nil
}
