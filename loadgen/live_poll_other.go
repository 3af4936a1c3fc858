//go:build !linux

package loadgen

import (
	"context"
	"net"
)

// livePollers: elsewhere each viewer is read by its own goroutine.
type livePollers struct{}

func startLivePollers(context.Context, *liveSink) *livePollers { return nil }

func (p *livePollers) add(*liveViewer, net.Conn) bool { return false }

func (p *livePollers) wait() {}
