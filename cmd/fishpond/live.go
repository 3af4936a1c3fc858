package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"os"
	"time"

	"fishpond/internal/db"
	"fishpond/live"
)

// liveFlags configure live selling on `serve`: where anchors push RTMP, where
// viewers play HLS, and the secret the media server's callbacks carry.
type liveFlags struct {
	rtmpURL, hlsBase, replayBase, secret, bus string
	flush, flushMax                           time.Duration
}

func (lf *liveFlags) register(fs *flag.FlagSet) {
	d := live.DefaultConfig
	fs.StringVar(&lf.rtmpURL, "live-rtmp-url", envOr("FISHPOND_LIVE_RTMP_URL", d.RTMPURL), "media server's RTMP application anchors publish to (env FISHPOND_LIVE_RTMP_URL)")
	fs.StringVar(&lf.hlsBase, "live-hls-base", envOr("FISHPOND_LIVE_HLS_BASE", d.HLSBase), "public URL of the media server's HLS directory (env FISHPOND_LIVE_HLS_BASE)")
	fs.StringVar(&lf.replayBase, "live-replay-base", os.Getenv("FISHPOND_LIVE_REPLAY_BASE"), "public URL of the media server's recordings, if it records (env FISHPOND_LIVE_REPLAY_BASE)")
	fs.StringVar(&lf.secret, "live-callback-secret", os.Getenv("FISHPOND_LIVE_CALLBACK_SECRET"), "secret the media server's callback URLs carry as ?secret= (env FISHPOND_LIVE_CALLBACK_SECRET; default: random, logged)")
	fs.DurationVar(&lf.flush, "live-flush", d.Flush, "how long a room gathers messages before writing them to its viewers as one batch")
	fs.DurationVar(&lf.flushMax, "live-flush-max", d.FlushMax, "how far that window widens while batches go out late (a server short of CPU); at most --live-flush: fixed")
	fs.StringVar(&lf.bus, "live-bus", envOr("FISHPOND_LIVE_BUS", "auto"), "how instances share live messages: local, postgres (LISTEN/NOTIFY), or auto (postgres on a PostgreSQL database)")
}

// startLive rebuilds the live service from the flags (nil: the environment's
// defaults), with the PostgreSQL bus when several instances may share the
// database, and starts its background work. The returned stop drains it.
func (a *app) startLive(ctx context.Context, lf *liveFlags) (stop func(), err error) {
	if lf == nil {
		lf = &liveFlags{}
		fs := flag.NewFlagSet("live", flag.ContinueOnError)
		lf.register(fs)
	}
	cfg := live.DefaultConfig
	cfg.RTMPURL, cfg.HLSBase, cfg.ReplayBase, cfg.CallbackSecret, cfg.Flush, cfg.FlushMax = lf.rtmpURL, lf.hlsBase, lf.replayBase, lf.secret, lf.flush, lf.flushMax
	if cfg.CallbackSecret == "" {
		var b [16]byte
		rand.Read(b[:])
		cfg.CallbackSecret = hex.EncodeToString(b[:])
		a.Log.Info("live: no --live-callback-secret given; media-server callbacks must use this one", "secret", cfg.CallbackSecret)
	}
	var bus live.Bus
	if lf.bus == "postgres" || (lf.bus == "auto" && a.DB.Dialect == db.Postgres) {
		pb, err := live.NewPGBus(ctx, a.DB, a.Log)
		if err != nil {
			return nil, err
		}
		bus = pb
	}
	a.Live.Close()
	a.Live = live.NewService(a.DB, a.Market, a.Registry, a.Keys, a.Clock, cfg, bus)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Live.Run(runCtx, func(err error) { a.Log.Error("live background work", "err", err) })
	}()
	return func() { cancel(); <-done }, nil
}
