package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fishpond/farms"
	"fishpond/payment"
	"fishpond/payment/sandbox"
	"fishpond/web"
)

func runServe(ctx context.Context, args []string) error {
	var c commonFlags
	fs := newFlags("serve", "[--addr :8080] [--db URL]", "Serve the web pages and the JSON API until SIGTERM or Ctrl-C, then drain in-flight requests.")
	c.register(fs)
	addr := fs.String("addr", envOr("FISHPOND_ADDR", ":8080"), "listen address (env FISHPOND_ADDR)")
	secure := fs.Bool("secure-cookies", os.Getenv("FISHPOND_SECURE_COOKIES") == "true", "mark cookies Secure (behind TLS)")
	httpHooks := fs.Bool("webhooks-allow-http", false, "accept plain http:// partner webhook URLs (development only; production needs https)")
	base := fs.String("base-url", os.Getenv("FISHPOND_BASE_URL"), "public URL of this server, for payment callbacks (default: http://localhost:PORT)")
	var mq mqttOptions
	mq.register(fs)
	var lf liveFlags
	lf.register(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := c.open(ctx, os.Stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	return serve(ctx, a, serveOptions{addr: *addr, secure: *secure, baseURL: *base, httpWebhooks: *httpHooks, mqtt: mq, live: &lf})
}

// serveOptions are the flags serve and demo share.
type serveOptions struct {
	addr, baseURL string
	secure        bool
	httpWebhooks  bool
	ready         func(addr string)
	mqtt          mqttOptions
	live          *liveFlags // nil: from the environment
}

// publicBase is the URL wallets and browsers reach this server at.
func publicBase(bound, flagValue string) string {
	if flagValue != "" {
		return strings.TrimRight(flagValue, "/")
	}
	port := bound[strings.LastIndex(bound, ":"):]
	host := bound[:strings.LastIndex(bound, ":")]
	if host == "" || host == "0.0.0.0" || host == "[::]" || host == "::" {
		host = "localhost"
	}
	return "http://" + host + port
}

// serve runs the HTTP server; opt.ready (if set) is called with the bound address
// once it accepts connections. Start order: db → payment sandbox → expiry sweep →
// server; stop order: server → sweep → sandbox → db.
func serve(ctx context.Context, a *app, opt serveOptions) error {
	ln, err := net.Listen("tcp", opt.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opt.addr, err)
	}
	base := publicBase(ln.Addr().String(), opt.baseURL)
	// No real wallet can run here: the built-in sandbox wallet (clearly labelled on
	// its cashier page) signs its notifications with its own RSA key.
	sb, err := sandbox.New(sandbox.Config{BaseURL: base + "/sandbox/pay", KeyDir: filepath.Join(a.DataDir, "keys")})
	if err != nil {
		ln.Close()
		return fmt.Errorf("payment sandbox: %w", err)
	}
	defer sb.Close()
	pay := payment.NewService(a.DB, sb, a.Clock, payment.Options{NotifyURL: base + "/pay/notify", ReturnURL: base + "/orders/return"})
	stopLive, err := a.startLive(ctx, opt.live)
	if err != nil {
		ln.Close()
		return fmt.Errorf("live: %w", err)
	}
	defer stopLive()
	// Every service goes to New, which registers the routes: a capability whose
	// service is missing then has no pages (set afterwards, live's would be lost).
	s := web.New(a.DB, web.Services{Access: a.Access, Registry: a.Registry, Ledger: a.Ledger, Assessor: a.Assessor,
		Market: a.Market, Payments: pay, PaymentSandbox: sb.Handler(), Partners: a.Partners, Logistics: a.Logistics,
		Farms: a.Farms, Credit: a.Credit, Insurance: a.Insurance, Fund: a.Fund, Green: a.Green, Sensing: a.Sensing, Live: a.Live}, a.Log)
	s.SecureCookies = opt.secure
	defer startPartners(ctx, a, s, opt.httpWebhooks)()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	go expireUnpaid(sweepCtx, a)
	go logisticsSweep(sweepCtx, a)
	go runGreen(sweepCtx, a)
	go farms.Scheduler{Service: a.Farms, Interval: time.Minute, Log: a.Log}.Run(sweepCtx) // rent falls due; catches up at start
	go creditSweeps(sweepCtx, a)
	go runReportConsumer(sweepCtx, a)
	stopSensing, err := startSensing(sweepCtx, a, opt.mqtt)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopSensing()
	ready := opt.ready
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	srv.RegisterOnShutdown(a.Live.Hub().Shutdown) // live viewers' streams end so the drain can finish
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

// expireUnpaid releases the stock of orders left unpaid past their time, every
// 30 seconds, until ctx ends.
func expireUnpaid(ctx context.Context, a *app) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n, err := a.Market.ExpireUnpaid(ctx, now); err != nil {
				a.Log.Error("expire unpaid orders", "err", err)
			} else if n > 0 {
				a.Log.Info("expired unpaid orders", "orders", n)
			}
		}
	}
}
