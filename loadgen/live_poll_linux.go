//go:build linux

package loadgen

import (
	"context"
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// livePollers read every viewer's socket from a few goroutines, one epoll set
// each. The viewers are the load generator's main cost and it shares the
// machine with the server it measures: through the Go runtime each message
// costs a goroutine wake-up and a second read that finds the socket empty; here
// it costs one read, and the wake-ups are shared by all the viewers ready at once.
type livePollers struct {
	sets []*pollSet
	next int
	mu   sync.Mutex
	wg   sync.WaitGroup
}

type pollSet struct {
	epfd int
	mu   sync.Mutex
	fds  map[int32]*liveViewer
}

func startLivePollers(ctx context.Context, sink *liveSink) *livePollers {
	p := &livePollers{}
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			break
		}
		ps := &pollSet{epfd: epfd, fds: map[int32]*liveViewer{}}
		p.sets = append(p.sets, ps)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			ps.run(ctx)
		}()
	}
	if len(p.sets) == 0 {
		return nil
	}
	return p
}

// add takes the viewer's connection over: its descriptor is duplicated out of
// the Go runtime's poller (conn is closed; the socket stays open through the
// copy) into an epoll set. False: it could not, and conn is untouched.
func (p *livePollers) add(v *liveViewer, conn net.Conn) bool {
	if p == nil {
		return false
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	var derr error
	if err := raw.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil || derr != nil {
		return false
	}
	syscall.CloseOnExec(fd)
	conn.Close() // the copy stays non-blocking, as the runtime set it
	p.mu.Lock()
	ps := p.sets[p.next%len(p.sets)]
	p.next++
	p.mu.Unlock()
	ps.mu.Lock()
	if ps.fds == nil { // the run is over
		ps.mu.Unlock()
		syscall.Close(fd)
		return true
	}
	ps.fds[int32(fd)] = v
	ps.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(ps.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		ps.mu.Lock()
		delete(ps.fds, int32(fd))
		ps.mu.Unlock()
		syscall.Close(fd)
		v.ended(context.Background(), err)
		return true // the connection is gone either way
	}
	return true
}

// wait returns when every poller has closed its viewers' sockets (after ctx ended).
func (p *livePollers) wait() {
	if p != nil {
		p.wg.Wait()
	}
}

// run reads the set's ready sockets (level-triggered: one read each; a socket
// with more waiting is reported again) until ctx ends, then closes them all.
func (ps *pollSet) run(ctx context.Context) {
	defer syscall.Close(ps.epfd)
	events := make([]syscall.EpollEvent, 256)
	for ctx.Err() == nil {
		n, err := syscall.EpollWait(ps.epfd, events, 100)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			break
		}
		for _, ev := range events[:n] {
			fd := ev.Fd
			ps.mu.Lock()
			v := ps.fds[fd]
			ps.mu.Unlock()
			if v == nil {
				continue
			}
			r, err := syscall.Read(int(fd), v.space())
			if r > 0 {
				v.consume(r, time.Now())
				continue
			}
			if err == syscall.EAGAIN || err == syscall.EINTR {
				continue
			}
			syscall.EpollCtl(ps.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
			syscall.Close(int(fd))
			ps.mu.Lock()
			delete(ps.fds, fd)
			ps.mu.Unlock()
			v.ended(ctx, err) // r == 0: the server closed the stream
		}
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for fd := range ps.fds {
		syscall.Close(int(fd))
	}
	ps.fds = nil
}
