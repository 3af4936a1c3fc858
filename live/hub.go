package live

import (
	"encoding/json"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Message is one real-time update a viewer receives, as JSON in an SSE "data:"
// line. T says what it is: comment, likes, viewers, pin, flash, purchase, status.
type Message struct {
	Type        string `json:"t"`
	ID          string `json:"id,omitempty"`
	User        string `json:"u,omitempty"`
	Text        string `json:"text,omitempty"`
	N           int64  `json:"n,omitempty"`
	ProductID   string `json:"product_id,omitempty"`
	ProductName string `json:"product,omitempty"`
	Unit        string `json:"unit,omitempty"`
	FlashID     string `json:"flash_id,omitempty"`
	PriceFen    int64  `json:"price_fen,omitempty"`
	Remaining   *int64 `json:"remaining,omitempty"`
	EndsAt      int64  `json:"ends_at,omitempty"` // Unix ms: the flash sale's countdown
	Place       string `json:"place,omitempty"`   // a purchase's city, never the buyer
	Qty         int64  `json:"qty,omitempty"`
	Status      string `json:"status,omitempty"`
	At          int64  `json:"at"` // Unix ms when published
}

// Bus carries messages between the server instances that share a database. Every
// instance's hub receives every message (its own included) and hands it to its
// local viewers; presence reports how many viewers an instance holds per room.
type Bus interface {
	Start(h *Hub)
	Send(room string, payload []byte)
	SendPresence(instance, room string, n int64)
	Close()
}

// LocalBus is the Bus of a single process: a message goes straight to the hub.
type LocalBus struct{ h atomic.Pointer[Hub] }

// NewLocalBus returns the in-process bus (SQLite, or one PostgreSQL server).
func NewLocalBus() *LocalBus { return &LocalBus{} }

// Start implements Bus.
func (b *LocalBus) Start(h *Hub) { b.h.Store(h) }

// Send implements Bus.
func (b *LocalBus) Send(room string, payload []byte) {
	if h := b.h.Load(); h != nil {
		h.deliver(room, payload)
	}
}

// SendPresence implements Bus: there are no other instances.
func (b *LocalBus) SendPresence(string, string, int64) {}

// Close implements Bus.
func (b *LocalBus) Close() {}

// Hub fans a room's messages out to this process's viewers. A message is encoded
// once per room, and a room's messages are gathered for Flush and written to each
// viewer as one batch, so the cost per viewer is one channel send and one write
// per batch however busy the room is.
type Hub struct {
	instance string
	flush    time.Duration // the batch window when the hub keeps up
	flushMax time.Duration // the widest it gets while writing takes much of its time
	window   atomic.Int64  // the window now (ns)
	writing  atomic.Int64  // ns flushes spent writing to viewers since lastAdapt
	// lastAdapt is when the window was last reconsidered (announcePresence's).
	lastAdapt time.Time
	bus       Bus
	// writeTimeout is WriteTimeout; tests lengthen it so a viewer they pause on
	// purpose is not dropped by a slow test machine.
	writeTimeout time.Duration

	mu    sync.RWMutex
	rooms map[string]*room

	closing     chan struct{}
	closingOnce sync.Once

	delivered atomic.Int64 // messages handed to viewers
	dropped   atomic.Int64 // viewers cut off for not keeping up
}

// SubBuffer is how many batches a viewer may fall behind before the hub drops
// it (its browser reconnects): one slow phone must not hold up a room.
const SubBuffer = 64

type presence struct {
	n  int64
	at time.Time
}

type minuteStat struct{ peak, comments, likes int64 }

type viewerSeen struct {
	key    string
	minute int64
}

type room struct {
	id      string
	mu      sync.Mutex
	flushMu sync.Mutex // one flush at a time, so batches reach a viewer in order

	subs      map[*Sub]struct{}
	pending   []byte // frames waiting for the next flush
	pendingN  int64
	armed     bool // a flush is scheduled for pending
	early     bool // pending grew past maxBatch: a flush is on its way now
	lastFrame time.Time

	remote      map[string]presence // other instances' viewers
	lastViewers int64               // total last announced
	likesToSend int64
	likesTotal  int64

	minutes map[int64]*minuteStat // this instance's statistics, until written
	seen    map[string]struct{}
	fresh   []viewerSeen
}

// Sub is one viewer's connection to a room.
type Sub struct {
	c      chan []byte // nil for a connection the hub writes to itself
	conn   net.Conn
	raw    syscall.RawConn // conn's socket, for writes that never wait (nil: conn has none)
	done   chan struct{}
	once   sync.Once
	room   *room
	viewer string

	// A batch the socket could not take at once waits here, with the batches
	// after it, for the viewer's own goroutine (drain) to write, so one slow
	// viewer never holds up the room's flush.
	wmu    sync.Mutex
	behind bool
	queue  []queued
}

// queued is a batch (or the rest of one) waiting for a viewer who fell behind.
type queued struct {
	b []byte
	n int64 // messages in it
}

// drop ends the viewer's subscription from the hub's side.
func (s *Sub) drop() {
	s.once.Do(func() {
		close(s.done)
		if s.conn != nil {
			s.conn.Close()
		}
	})
}

// C delivers batches of SSE frames, ready to write.
func (s *Sub) C() <-chan []byte { return s.c }

// Done is closed when the hub drops the viewer (falling behind, or its
// connection failed).
func (s *Sub) Done() <-chan struct{} { return s.done }

func newHub(instance string, flush, flushMax time.Duration, bus Bus) *Hub {
	h := &Hub{instance: instance, flush: flush, flushMax: max(flush, flushMax), bus: bus, writeTimeout: WriteTimeout, rooms: map[string]*room{}, closing: make(chan struct{})}
	h.window.Store(int64(flush))
	bus.Start(h)
	return h
}

// Shutdown tells every viewer's stream to end (Closing), so an HTTP server can
// drain: streams never end by themselves.
func (h *Hub) Shutdown() {
	h.closingOnce.Do(func() { close(h.closing) })
	h.mu.RLock()
	var conns []*Sub
	for _, r := range h.rooms {
		r.mu.Lock()
		for s := range r.subs {
			if s.conn != nil {
				conns = append(conns, s)
			}
		}
		r.mu.Unlock()
	}
	h.mu.RUnlock()
	for _, s := range conns {
		s.drop() // closes the connection; its reader unsubscribes it
	}
}

// Closing is closed by Shutdown.
func (h *Hub) Closing() <-chan struct{} { return h.closing }

// Close ends the viewers' streams and stops the bus.
func (h *Hub) Close() {
	h.Shutdown()
	h.bus.Close()
}

func unixMinute(t time.Time) int64 { return t.Unix() / 60 }

func (h *Hub) room(id string, create bool) *room {
	h.mu.RLock()
	r := h.rooms[id]
	h.mu.RUnlock()
	if r != nil || !create {
		return r
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if r = h.rooms[id]; r == nil {
		r = &room{id: id, subs: map[*Sub]struct{}{}, remote: map[string]presence{}, minutes: map[int64]*minuteStat{}, seen: map[string]struct{}{}}
		h.rooms[id] = r
	}
	return r
}

func (r *room) minute(now time.Time) *minuteStat {
	m := unixMinute(now)
	st := r.minutes[m]
	if st == nil {
		st = &minuteStat{}
		r.minutes[m] = st
	}
	return st
}

// Subscribe connects a viewer (a user id or an anonymous browser id, for unique
// viewer counts) to a room.
func (h *Hub) Subscribe(roomID, viewer string) *Sub {
	return h.subscribe(roomID, viewer, nil)
}

// SubscribeConn connects a viewer whose HTTP connection has been taken over
// (hijacked) after its response headers were written: the hub writes each batch
// to it directly, so an idle viewer costs no goroutine and a batch costs one
// write, no goroutine switch. The caller reads the connection to notice the
// browser leaving and calls Unsubscribe then.
func (h *Hub) SubscribeConn(roomID, viewer string, conn net.Conn) *Sub {
	return h.subscribe(roomID, viewer, conn)
}

func (h *Hub) subscribe(roomID, viewer string, conn net.Conn) *Sub {
	// Under the hub's lock, so drainStats cannot forget the room in between.
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[roomID]
	if r == nil {
		r = &room{id: roomID, subs: map[*Sub]struct{}{}, remote: map[string]presence{}, minutes: map[int64]*minuteStat{}, seen: map[string]struct{}{}}
		h.rooms[roomID] = r
	}
	s := &Sub{conn: conn, done: make(chan struct{}), room: r, viewer: viewer}
	if conn == nil {
		s.c = make(chan []byte, SubBuffer)
	} else if sc, ok := conn.(syscall.Conn); ok && rawWrites {
		s.raw, _ = sc.SyscallConn()
	}
	now := time.Now()
	r.mu.Lock()
	r.subs[s] = struct{}{}
	st := r.minute(now)
	st.peak = max(st.peak, int64(len(r.subs)))
	if _, ok := r.seen[viewer]; !ok && viewer != "" {
		r.seen[viewer] = struct{}{}
		r.fresh = append(r.fresh, viewerSeen{viewer, unixMinute(now)})
	}
	r.mu.Unlock()
	return s
}

// Unsubscribe disconnects a viewer (and closes its connection, if the hub
// writes to it).
func (h *Hub) Unsubscribe(s *Sub) {
	s.room.mu.Lock()
	delete(s.room.subs, s)
	s.room.mu.Unlock()
	if s.conn != nil {
		s.drop()
	}
}

// Publish sends a message to every viewer of the room on every instance.
func (h *Hub) Publish(roomID string, m Message) {
	if m.At == 0 {
		m.At = time.Now().UnixMilli()
	}
	b, err := json.Marshal(m)
	if err != nil {
		return // a Message always marshals
	}
	h.bus.Send(roomID, b)
}

// deliver queues one message (JSON) from the bus for the room's local viewers.
func (h *Hub) deliver(roomID string, payload []byte) {
	r := h.room(roomID, false)
	if r == nil {
		return // nobody watches here
	}
	r.mu.Lock()
	r.pending = append(r.pending, "data: "...)
	r.pending = append(r.pending, payload...)
	r.pending = append(r.pending, "\n\n"...)
	r.pendingN++
	h.schedule(r)
	r.mu.Unlock()
}

// deliverLocal queues a message for this instance's viewers only (viewer counts
// every instance computes for itself, keep-alive comments).
func (h *Hub) deliverLocal(r *room, frame []byte, n int64) {
	r.mu.Lock()
	r.pending = append(r.pending, frame...)
	r.pendingN += n
	h.schedule(r)
	r.mu.Unlock()
}

// maxBatch is the size at which a room's batch goes out without waiting for the
// window: a very busy room's viewers get several moderate writes rather than
// one their sockets cannot take at once.
const maxBatch = 32 << 10

// schedule arranges the flush of a room's pending frames (r.mu held): after the
// window, or at once when the batch is large.
func (h *Hub) schedule(r *room) {
	if !r.armed {
		r.armed = true
		time.AfterFunc(time.Duration(h.window.Load()), func() { h.flushRoom(r) })
	} else if len(r.pending) >= maxBatch && !r.early {
		r.early = true
		go h.flushRoom(r)
	}
}

// adaptWindow reconsiders the batch window (every second, from
// announcePresence) from the share of the time since the last call that the
// hub's flushes spent writing to viewers.
func (h *Hub) adaptWindow(now time.Time) {
	if el := now.Sub(h.lastAdapt); !h.lastAdapt.IsZero() && el > 0 {
		h.adapt(float64(h.writing.Swap(0)) / float64(el))
	} else {
		h.writing.Store(0)
	}
	h.lastAdapt = now
}

// adapt widens the batch window while writing batches takes a large share of
// the hub's time (busy: the share of wall time; on a machine short of CPU the
// writes also take longer), and narrows it back when that share is small. The
// write is most of the fan-out's cost and a viewer gets one per batch, so fewer,
// larger batches let a busy hub catch up instead of falling further behind;
// where the time goes elsewhere a wider window would only add latency, and the
// window never passes flushMax, which bounds the latency it adds.
func (h *Hub) adapt(busy float64) {
	w := time.Duration(h.window.Load())
	switch {
	case busy > 0.2:
		w = min(w*5/4, h.flushMax)
	case busy < 0.05:
		w = max(w*9/10, h.flush)
	default:
		return
	}
	h.window.Store(int64(w))
}

// WriteTimeout bounds one batch's write to a viewer's connection: a healthy
// browser drains its socket buffer long before it fills, so a write that blocks
// this long belongs to a viewer that has stopped reading, and it is dropped.
const WriteTimeout = 500 * time.Millisecond

func (h *Hub) flushRoom(r *room) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	batch, n := r.pending, r.pendingN
	r.pending, r.pendingN, r.armed, r.early = nil, 0, false, false
	if len(batch) == 0 {
		r.mu.Unlock()
		return
	}
	r.lastFrame = time.Now()
	conns := make([]*Sub, 0, len(r.subs))
	for s := range r.subs {
		if s.conn != nil {
			conns = append(conns, s)
			continue
		}
		select {
		case s.c <- batch:
			h.delivered.Add(n)
		default:
			delete(r.subs, s)
			s.drop()
			h.dropped.Add(1)
		}
	}
	r.mu.Unlock()
	// Written outside the lock, so comments keep arriving while the batch goes
	// out; the batch is never modified again (pending was swapped), so all
	// viewers share it. A write never waits: what a viewer's socket cannot take
	// at once goes to that viewer's queue, so the room's other viewers are not
	// held up by it (nor by a busy machine's scheduling of its goroutine).
	var written int64
	start := time.Now()
	for _, s := range conns {
		ok, all := h.send(s, batch, n)
		if !ok {
			h.cut(s)
			continue
		}
		if all {
			written += n
		}
	}
	h.delivered.Add(written)
	h.writing.Add(int64(time.Since(start)))
}

// send writes a batch to a viewer's connection without waiting: all says it
// was written whole now; otherwise (ok) the viewer's queue holds the rest. Not
// ok: the connection failed, or the viewer is more than SubBuffer batches behind.
func (h *Hub) send(s *Sub, b []byte, n int64) (ok, all bool) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.behind {
		if len(s.queue) >= SubBuffer {
			return false, false
		}
		s.queue = append(s.queue, queued{b, n})
		return true, false
	}
	w, err := h.tryWrite(s, b)
	if err != nil {
		return false, false
	}
	if w == len(b) {
		return true, true
	}
	s.behind = true
	s.queue = append(s.queue, queued{b[w:], n})
	go h.drain(s)
	return true, false
}

// tryWrite writes what the socket takes without waiting (a connection with no
// socket of its own is written with the usual timeout instead).
func (h *Hub) tryWrite(s *Sub, b []byte) (int, error) {
	if s.raw == nil {
		s.conn.SetWriteDeadline(time.Now().Add(h.writeTimeout))
		return s.conn.Write(b)
	}
	var n int
	var err error
	if cerr := s.raw.Write(func(fd uintptr) bool {
		n, err = writeOnce(fd, b)
		return true // never wait for the socket: the queue does that
	}); cerr != nil {
		return 0, cerr
	}
	return n, err
}

// drain writes a viewer's queue in order, each batch within the write timeout,
// until it is empty; the flush writes to the socket directly again after that.
func (h *Hub) drain(s *Sub) {
	for {
		s.wmu.Lock()
		if len(s.queue) == 0 {
			// Cleared before the flush may write again: the raw write obeys it.
			s.conn.SetWriteDeadline(time.Time{})
			s.behind = false
			s.queue = nil
			s.wmu.Unlock()
			return
		}
		q := s.queue[0]
		s.wmu.Unlock()
		s.conn.SetWriteDeadline(time.Now().Add(h.writeTimeout))
		if _, err := s.conn.Write(q.b); err != nil {
			h.cut(s)
			return
		}
		h.delivered.Add(q.n)
		s.wmu.Lock()
		s.queue[0] = queued{}
		s.queue = s.queue[1:]
		s.wmu.Unlock()
	}
}

// cut drops a viewer whose connection failed or who fell too far behind: its
// browser reconnects.
func (h *Hub) cut(s *Sub) {
	r := s.room
	r.mu.Lock()
	_, in := r.subs[s]
	delete(r.subs, s)
	r.mu.Unlock()
	s.drop()
	if in {
		h.dropped.Add(1)
	}
}

// Viewers is how many viewers watch the room across all instances.
func (h *Hub) Viewers(roomID string) int64 {
	r := h.room(roomID, false)
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total(time.Now())
}

// presenceTTL is how long another instance's viewer count stays believed
// without news from it.
const presenceTTL = 5 * time.Second

func (r *room) total(now time.Time) int64 {
	n := int64(len(r.subs))
	for inst, p := range r.remote {
		if now.Sub(p.at) > presenceTTL {
			delete(r.remote, inst)
			continue
		}
		n += p.n
	}
	return n
}

// presence records another instance's viewer count for a room.
func (h *Hub) presence(instance, roomID string, n int64) {
	if instance == h.instance {
		return
	}
	r := h.room(roomID, n > 0)
	if r == nil {
		return
	}
	r.mu.Lock()
	r.remote[instance] = presence{n, time.Now()}
	r.mu.Unlock()
}

// Like counts a viewer's likes; they go out as one "likes" message per second.
func (h *Hub) Like(roomID string, n int64) {
	r := h.room(roomID, true)
	r.mu.Lock()
	r.likesToSend += n
	r.minute(time.Now()).likes += n
	r.mu.Unlock()
}

// countComment records an accepted comment in this instance's statistics.
func (h *Hub) countComment(roomID string) {
	r := h.room(roomID, true)
	r.mu.Lock()
	r.minute(time.Now()).comments++
	r.mu.Unlock()
}

var keepAlive = []byte(": keep-alive\n\n")

// announcePresence runs every second: it reconsiders the batch window, tells
// other instances how many viewers this one holds, sends the likes gathered,
// tells local viewers the room's total when it changed, and keeps idle
// connections open through proxies.
func (h *Hub) announcePresence() {
	now := time.Now()
	h.adaptWindow(now)
	h.mu.RLock()
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.RUnlock()
	for _, r := range rooms {
		r.mu.Lock()
		local := int64(len(r.subs))
		total := r.total(now)
		changed := total != r.lastViewers
		r.lastViewers = total
		likes := r.likesToSend
		r.likesToSend = 0
		r.likesTotal += likes
		idle := now.Sub(r.lastFrame) > 20*time.Second
		if local > 0 {
			st := r.minute(now)
			st.peak = max(st.peak, local)
		}
		r.mu.Unlock()
		h.bus.SendPresence(h.instance, r.id, local)
		if likes > 0 {
			h.Publish(r.id, Message{Type: "likes", N: likes})
		}
		if changed && local > 0 {
			b, _ := json.Marshal(Message{Type: "viewers", N: total, At: now.UnixMilli()})
			h.deliverLocal(r, append(append([]byte("data: "), b...), "\n\n"...), 1)
		} else if idle && local > 0 {
			h.deliverLocal(r, keepAlive, 0)
		}
	}
}

// HubStats are counters for /metrics and the benchmark.
type HubStats struct {
	Rooms, Viewers     int64
	Delivered, Dropped int64
	Window             time.Duration // the batch window now
}

// Stats reads the hub's counters.
func (h *Hub) Stats() HubStats {
	h.mu.RLock()
	defer h.mu.RUnlock()
	st := HubStats{Rooms: int64(len(h.rooms)), Delivered: h.delivered.Load(), Dropped: h.dropped.Load(), Window: time.Duration(h.window.Load())}
	for _, r := range h.rooms {
		r.mu.Lock()
		st.Viewers += int64(len(r.subs))
		r.mu.Unlock()
	}
	return st
}

// roomStats is what Flush writes for a room: minute rows and newly seen viewers.
type roomStats struct {
	room    string
	minutes map[int64]minuteStat
	fresh   []viewerSeen
}

// drainStats takes the statistics gathered since the last call. The current
// minute stays (its counts are absolute and rewritten until the minute is over);
// rooms with nobody left and nothing to write are forgotten.
func (h *Hub) drainStats(now time.Time) []roomStats {
	cur := unixMinute(now)
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []roomStats
	for id, r := range h.rooms {
		r.mu.Lock()
		rs := roomStats{room: id, minutes: map[int64]minuteStat{}, fresh: r.fresh}
		r.fresh = nil
		for m, st := range r.minutes {
			rs.minutes[m] = *st
			if m < cur {
				delete(r.minutes, m)
			}
		}
		empty := len(r.subs) == 0 && len(r.remote) == 0 && len(r.minutes) == 0 && r.pendingN == 0 && r.likesToSend == 0
		r.mu.Unlock()
		if len(rs.minutes) > 0 || len(rs.fresh) > 0 {
			out = append(out, rs)
		}
		if empty {
			delete(h.rooms, id)
		}
	}
	return out
}
