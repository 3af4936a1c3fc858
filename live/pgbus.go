package live

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"fishpond/internal/db"

	"github.com/jackc/pgx/v5/stdlib"
)

// PGBus carries live messages between server instances through PostgreSQL
// LISTEN/NOTIFY: each instance listens on one channel on a dedicated connection;
// a sender gathers messages for a few milliseconds and sends them as one NOTIFY
// (at most ~7,000 bytes, under PostgreSQL's 8,000-byte payload limit). Every
// instance, the sender included, hands what it hears to its hub, so all viewers
// see messages in the same order. A listener that loses its connection
// reconnects; messages sent meanwhile are missed by that instance's viewers.
type PGBus struct {
	sqlDB   *sql.DB
	channel string
	log     *slog.Logger
	out     chan string
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	hub     *Hub
	ready   chan struct{}
	once    sync.Once
}

// maxNotify is the most payload bytes sent in one NOTIFY.
const maxNotify = 7000

// NewPGBus builds the bus on a PostgreSQL database. The channel is derived from
// the schema, so databases of different schemas on one server (tests, tenants)
// do not hear each other.
func NewPGBus(ctx context.Context, d *db.DB, log *slog.Logger) (*PGBus, error) {
	if d.Dialect != db.Postgres {
		return nil, fmt.Errorf("live: the PostgreSQL bus needs a PostgreSQL database")
	}
	var schema string
	if err := d.SQL().QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(schema))
	if log == nil {
		log = slog.Default()
	}
	b := &PGBus{sqlDB: d.SQL(), channel: "fishpond_live_" + hex.EncodeToString(h[:6]), log: log, out: make(chan string, 65536), ready: make(chan struct{})}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

// Start implements Bus: it starts the listener and the sender.
func (b *PGBus) Start(h *Hub) {
	b.hub = h
	b.wg.Add(2)
	go b.listen()
	go b.send()
}

// Ready is closed once the listener is listening (tests wait for it).
func (b *PGBus) Ready() <-chan struct{} { return b.ready }

// Send implements Bus.
func (b *PGBus) Send(room string, payload []byte) {
	b.enqueue("f\t" + room + "\t" + string(payload))
}

// SendPresence implements Bus.
func (b *PGBus) SendPresence(instance, room string, n int64) {
	b.enqueue("p\t" + instance + "\t" + room + "\t" + strconv.FormatInt(n, 10))
}

func (b *PGBus) enqueue(line string) {
	if len(line) > maxNotify {
		b.log.Warn("live: message too large for the bus, dropped", "bytes", len(line))
		return
	}
	select {
	case b.out <- line:
	case <-b.ctx.Done():
	}
}

// Close implements Bus.
func (b *PGBus) Close() {
	b.cancel()
	b.wg.Wait()
}

func (b *PGBus) send() {
	defer b.wg.Done()
	var buf strings.Builder
	flush := func() {
		if buf.Len() == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := b.sqlDB.ExecContext(ctx, "SELECT pg_notify($1, $2)", b.channel, buf.String()); err != nil {
			b.log.Error("live: notify", "err", err)
		}
		cancel()
		buf.Reset()
	}
	for {
		select {
		case <-b.ctx.Done():
			return
		case line := <-b.out:
			buf.WriteString(line)
			// Gather what else is queued (up to the payload limit) into this NOTIFY.
		more:
			for {
				select {
				case l := <-b.out:
					if buf.Len()+1+len(l) > maxNotify {
						flush()
					} else {
						buf.WriteByte('\n')
					}
					buf.WriteString(l)
				default:
					break more
				}
			}
			flush()
		}
	}
}

func (b *PGBus) listen() {
	defer b.wg.Done()
	for b.ctx.Err() == nil {
		err := b.listenOnce()
		if b.ctx.Err() != nil {
			return
		}
		b.log.Error("live: listener lost its connection, reconnecting", "err", err)
		select {
		case <-b.ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (b *PGBus) listenOnce() error {
	conn, err := b.sqlDB.Conn(b.ctx)
	if err != nil {
		return err
	}
	defer func() {
		// A connection left LISTENing must not go back to the pool.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(b.ctx, `LISTEN "`+b.channel+`"`); err != nil {
			return err
		}
		b.once.Do(func() { close(b.ready) })
		for {
			n, err := pc.WaitForNotification(b.ctx)
			if err != nil {
				return err
			}
			b.dispatch(n.Payload)
		}
	})
}

func (b *PGBus) dispatch(payload string) {
	for _, line := range strings.Split(payload, "\n") {
		kind, rest, _ := strings.Cut(line, "\t")
		switch kind {
		case "f":
			room, msg, ok := strings.Cut(rest, "\t")
			if ok {
				b.hub.deliver(room, bytes.Clone([]byte(msg)))
			}
		case "p":
			parts := strings.SplitN(rest, "\t", 3)
			if len(parts) == 3 {
				if n, err := strconv.ParseInt(parts[2], 10, 64); err == nil {
					b.hub.presence(parts[0], parts[1], n)
				}
			}
		}
	}
}
