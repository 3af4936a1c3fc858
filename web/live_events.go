package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/live"
)

// viewerCookie identifies an anonymous browser for unique-viewer counts; it
// holds a random id and nothing else.
const viewerCookie = "fp_viewer"

// liveEvents is a session's Server-Sent Events stream: the viewer's browser
// (EventSource) receives comments, likes, viewer counts, pins, flash sales and
// purchase notices as the hub fans them out. Anyone may watch.
func (s *Server) liveEvents(w http.ResponseWriter, r *http.Request) {
	ss, err := s.Live.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	viewer := ""
	if u, err := s.user(r); err == nil {
		viewer = "u:" + u.ID
	} else if c, err := r.Cookie(viewerCookie); err == nil && len(c.Value) == 32 {
		viewer = "a:" + c.Value
	} else {
		var b [16]byte
		rand.Read(b[:])
		v := hex.EncodeToString(b[:])
		http.SetCookie(w, &http.Cookie{Name: viewerCookie, Value: v, Path: "/live", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
		viewer = "a:" + v
	}
	// The count includes this viewer, who subscribes once the headers are out.
	hello, _ := json.Marshal(live.Message{Type: "hello", Status: ss.Status, N: s.Live.Hub().Viewers(ss.ID) + 1, At: time.Now().UnixMilli()})
	// Take the connection over: the hub writes every batch straight to it, so a
	// watching viewer holds no handler goroutine and a batch costs one write.
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.liveEventsBuffered(w, r, ss.ID, viewer, hello)
		return
	}
	var head strings.Builder
	head.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\n")
	head.WriteString("X-Content-Type-Options: nosniff\r\nConnection: close\r\n")
	for _, c := range w.Header()["Set-Cookie"] {
		head.WriteString("Set-Cookie: " + c + "\r\n")
	}
	head.WriteString("\r\nretry: 3000\ndata: ")
	head.Write(hello)
	head.WriteString("\n\n")
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(head.String())); err != nil {
		conn.Close()
		return
	}
	conn.SetDeadline(time.Time{})
	sub := s.Live.Hub().SubscribeConn(ss.ID, viewer, conn)
	// The browser sends nothing more; a read returns when it goes away (or the
	// server shuts down), and the viewer leaves the room. The handler returns now,
	// and this small goroutine is all an idle viewer keeps.
	go func() {
		if brw.Reader.Buffered() == 0 {
			var b [1]byte
			conn.Read(b[:])
		}
		s.Live.Hub().Unsubscribe(sub)
	}()
}

// liveEventsBuffered serves the stream through the ResponseWriter where the
// connection cannot be taken over (HTTP/2).
func (s *Server) liveEventsBuffered(w http.ResponseWriter, r *http.Request, sessionID, viewer string, hello []byte) {
	rc := http.NewResponseController(w)
	// The stream outlives the server's read and write timeouts.
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // no buffering in an nginx in front
	sub := s.Live.Hub().Subscribe(sessionID, viewer)
	defer s.Live.Hub().Unsubscribe(sub)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("retry: 3000\ndata: "))
	w.Write(hello)
	w.Write([]byte("\n\n"))
	if err := rc.Flush(); err != nil {
		return
	}
	for {
		select {
		case b := <-sub.C():
			if _, err := w.Write(b); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		case <-sub.Done():
			return // too slow: the browser reconnects and starts afresh
		case <-s.Live.Hub().Closing():
			return // the server is shutting down: browsers reconnect to another instance
		case <-r.Context().Done():
			return
		}
	}
}

// mediaCallback is what nginx-rtmp (form fields), SRS (JSON: action, stream,
// param) and MediaMTX (JSON: action, path, query) send.
type mediaCallback struct {
	name, key, path string
	read            bool // MediaMTX asks about viewers too: those are not ours to refuse
}

func parseMediaCallback(r *http.Request) (mediaCallback, error) {
	var c mediaCallback
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var in struct {
			Action string `json:"action"`
			Stream string `json:"stream"`
			Param  string `json:"param"`
			Path   string `json:"path"`
			Query  string `json:"query"`
			File   string `json:"file"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10)).Decode(&in); err != nil {
			return c, fishpond.Invalid("bad callback", map[string]string{"body": "not JSON"})
		}
		c.name, c.path = in.Stream, in.File
		c.read = in.Action == "read" || in.Action == "playback"
		if in.Path != "" { // MediaMTX: "live/<name>"
			c.name = in.Path[strings.LastIndex(in.Path, "/")+1:]
		}
		args := strings.TrimPrefix(in.Param+in.Query, "?")
		for _, kv := range strings.Split(args, "&") {
			if v, ok := strings.CutPrefix(kv, "key="); ok {
				c.key = v
			}
		}
	} else {
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return c, fishpond.Invalid("bad callback", map[string]string{"body": "not a form"})
		}
		// nginx-rtmp sends the stream's arguments (?key=…) as form fields too.
		c.name, c.key, c.path = r.PostForm.Get("name"), r.PostForm.Get("key"), r.PostForm.Get("path")
		c.name = c.name[strings.LastIndex(c.name, "/")+1:] // MediaMTX hooks send live/<room id>
	}
	return c, nil
}

// liveMedia handles the media server's callbacks: publish (authenticate the
// key, turn the session live), publish_done
// (end it) and record_done (the replay). The shared secret in the URL proves
// the caller is the media server.
func (s *Server) liveMedia(w http.ResponseWriter, r *http.Request) {
	want := s.Live.Config().CallbackSecret
	got := r.URL.Query().Get("secret")
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		s.apiError(w, r, fishpond.Errorf(fishpond.EForbidden, "media callback secret missing or wrong"))
		return
	}
	c, err := parseMediaCallback(r)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	ctx := r.Context()
	switch r.PathValue("event") {
	case "publish":
		if c.read {
			writeJSON(w, http.StatusOK, map[string]any{"code": 0})
			return
		}
		ss, err := s.Live.Publish(ctx, c.name, c.key)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		s.Log.Info("live: session live", "session", ss.ID, "room", ss.RoomID)
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "session_id": ss.ID})
	case "publish_done":
		ss, err := s.Live.PublishDone(ctx, c.name)
		if err != nil && fishpond.Code(err) != fishpond.ENotFound {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 0, "session_id": ss.ID})
	case "record_done":
		if err := s.Live.RecordDone(ctx, c.name, c.path); err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": 0})
	default:
		s.apiError(w, r, errNoRoute)
	}
}
