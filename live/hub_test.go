package live

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// tcpPair is a loopback TCP connection: the hub writes to server, the test
// reads client, as a browser would.
func tcpPair(t *testing.T, ln net.Listener) (server, client net.Conn) {
	t.Helper()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			acc <- nil
			return
		}
		acc <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-acc
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return server, client
}

// texts reads SSE frames from a viewer's connection and sends each comment's
// text on the channel; it closes the channel when the connection ends.
func texts(c net.Conn) <-chan string {
	out := make(chan string, 1024)
	go func() {
		defer close(out)
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				for _, m := range parseFrames([]byte("data: " + d)) {
					out <- m.Text
				}
			}
		}
	}()
	return out
}

func isBehind(s *Sub) bool {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.behind
}

func comment(i int) []byte {
	return fmt.Appendf(nil, `{"t":"comment","text":"%d %s","at":1}`, i, strings.Repeat("x", 2000))
}

// expect reads the next text and fails unless it is comment i.
func expect(t *testing.T, c <-chan string, who string, i int) {
	t.Helper()
	select {
	case s, ok := <-c:
		if !ok {
			t.Fatalf("%s: connection ended before comment %d", who, i)
		}
		if want := fmt.Sprintf("%d ", i); !strings.HasPrefix(s, want) {
			t.Fatalf("%s: got comment %.10q, want %d: a message was lost, repeated or reordered", who, s, i)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: comment %d never came", who, i)
	}
}

// TestSlowViewerIsQueuedInOrder: a viewer whose socket is full does not hold up
// the room (the other viewer receives every message while it does not read),
// and when it reads again it receives every message, in order, once; after it
// caught up the hub writes to it directly again.
func TestSlowViewerIsQueuedInOrder(t *testing.T) {
	h := newHub("test", time.Millisecond, time.Millisecond, NewLocalBus())
	h.writeTimeout = time.Minute // the pause is on purpose; the machine may be slow
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fastS, fastC := tcpPair(t, ln)
	slowS, slowC := tcpPair(t, ln)
	slowS.(*net.TCPConn).SetWriteBuffer(4096)
	slowC.(*net.TCPConn).SetReadBuffer(4096)
	h.SubscribeConn("room", "fast", fastS)
	slow := h.SubscribeConn("room", "slow", slowS)
	fast := texts(fastC)

	// Publish one message at a time (each its own batch) until the slow
	// viewer's socket is full, then five more.
	i, after := 0, 0
	for ; after < 5; i++ {
		if i > 10_000 {
			t.Fatal("the slow viewer's socket never filled")
		}
		h.deliver("room", comment(i))
		expect(t, fast, "fast viewer", i)
		if isBehind(slow) {
			after++
		}
	}
	if st := h.Stats(); st.Dropped != 0 || st.Viewers != 2 {
		t.Fatalf("stats %+v: nobody should be dropped", st)
	}
	// The slow viewer reads again: everything, in order, once.
	slowT := texts(slowC)
	for j := 0; j < i; j++ {
		expect(t, slowT, "slow viewer", j)
	}
	for isBehind(slow) { // its queue drains once it has read everything
		time.Sleep(time.Millisecond)
	}
	h.deliver("room", comment(i))
	expect(t, fast, "fast viewer", i)
	expect(t, slowT, "slow viewer", i)
}

// TestViewerTooFarBehindIsDropped: a viewer who stops reading is dropped once
// SubBuffer batches wait for it, and the room goes on without it.
func TestViewerTooFarBehindIsDropped(t *testing.T) {
	h := newHub("test", time.Millisecond, time.Millisecond, NewLocalBus())
	h.writeTimeout = time.Minute
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fastS, fastC := tcpPair(t, ln)
	slowS, slowC := tcpPair(t, ln)
	slowS.(*net.TCPConn).SetWriteBuffer(4096)
	slowC.(*net.TCPConn).SetReadBuffer(4096)
	h.SubscribeConn("room", "fast", fastS)
	slow := h.SubscribeConn("room", "slow", slowS)
	fast := texts(fastC)
	i := 0
	for ; !isBehind(slow); i++ {
		if i > 10_000 {
			t.Fatal("the slow viewer's socket never filled")
		}
		h.deliver("room", comment(i))
		expect(t, fast, "fast viewer", i)
	}
	// Its socket buffers still take a little; then SubBuffer batches queue up.
	for dropped := false; !dropped; i++ {
		if i > 20_000 {
			t.Fatal("the viewer who stopped reading was not dropped")
		}
		h.deliver("room", comment(i))
		expect(t, fast, "fast viewer", i)
		select {
		case <-slow.Done():
			dropped = true
		default:
		}
	}
	if st := h.Stats(); st.Dropped != 1 || st.Viewers != 1 {
		t.Fatalf("stats %+v, want one dropped, one left", st)
	}
	h.deliver("room", comment(i))
	expect(t, fast, "fast viewer", i)
}

// TestBatchWindowAdapts: while writing batches takes much of the hub's time the
// window widens, never past the maximum; when it takes little the window narrows
// back, never below the base.
func TestBatchWindowAdapts(t *testing.T) {
	h := newHub("test", 100*time.Millisecond, 200*time.Millisecond, NewLocalBus())
	defer h.Close()
	for range 50 {
		h.adapt(0.6)
	}
	if w := h.Stats().Window; w != 200*time.Millisecond {
		t.Fatalf("window %s after busy seconds, want the maximum 200ms", w)
	}
	for range 500 {
		h.adapt(0)
	}
	if w := h.Stats().Window; w != 100*time.Millisecond {
		t.Fatalf("window %s after idle seconds, want the base 100ms", w)
	}
	fixed := newHub("test", 100*time.Millisecond, 0, NewLocalBus())
	defer fixed.Close()
	fixed.adapt(0.6)
	if w := fixed.Stats().Window; w != 100*time.Millisecond {
		t.Fatalf("a hub with no maximum widened to %s", w)
	}
}
