package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"fishpond/web"
)

func runServe(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("serve", "[--addr :8080] [--db URL]", "Serve the web pages and the JSON API until SIGTERM or Ctrl-C, then drain in-flight requests.")
	c.register(fs)
	addr := fs.String("addr", envOr("FISHPOND_ADDR", ":8080"), "listen address (env FISHPOND_ADDR)")
	secure := fs.Bool("secure-cookies", os.Getenv("FISHPOND_SECURE_COOKIES") == "true", "mark cookies Secure (behind TLS)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return serve(ctx, a, *addr, *secure, nil)
}

// serve runs the HTTP server; ready (if set) is called with the bound address once
// it accepts connections. Start order: db → server; stop order: server → db.
func serve(ctx context.Context, a *app, addr string, secure bool, ready func(addr string)) error {
	s := web.New(a.DB, web.Services{Access: a.Access, Registry: a.Registry, Ledger: a.Ledger, Assessor: a.Assessor}, a.Log)
	s.SecureCookies = secure
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("fishpond serving", "addr", ln.Addr().String(), "db", a.DB.Dialect)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
