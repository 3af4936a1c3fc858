package main

import (
	"context"
	"time"

	"fishpond/events"
	"fishpond/partners"
	"fishpond/web"
)

// startPartners runs the technology alliance's background work for a serving
// process: the call log's flusher, the event consumer that enqueues webhook
// deliveries, and the dispatcher that sends them. The returned function stops them
// and flushes the call log.
func startPartners(ctx context.Context, a *app, s *web.Server, allowHTTP bool) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	a.Partners.AllowHTTPWebhooks = allowHTTP
	calls := partners.NewCallLog(a.DB)
	s.PartnerCalls = calls
	disp := partners.NewDispatcher(a.Partners)
	disp.OnError = func(err error) { a.Log.Error("webhook dispatch", "err", err) }
	cons := a.Partners.Consumer(events.New(a.DB, a.Clock))
	if err := a.Partners.StartAtHead(ctx); err != nil {
		a.Log.Error("webhook event consumer: start at the head of the log", "err", err)
	}
	done := make(chan struct{}, 3)
	go func() { calls.Run(ctx, 2*time.Second); done <- struct{}{} }()
	go func() { disp.Run(ctx); done <- struct{}{} }()
	go func() {
		for ctx.Err() == nil {
			if err := cons.Run(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("webhook event consumer", "err", err)
				time.Sleep(5 * time.Second)
			}
		}
		done <- struct{}{}
	}()
	return func() {
		cancel()
		for range 3 {
			<-done
		}
	}
}
