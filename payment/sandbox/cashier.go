package sandbox

import (
	"html/template"
	"net/http"
	"net/url"

	"fishpond/payment"
)

// Handler serves the sandbox cashier under the path given in Config.BaseURL:
// GET /cashier?t=… shows the order and amount with 确认支付 / 取消; POST /cashier
// confirms (trade paid, notification sent) or cancels, then redirects the buyer
// through GET /return?t=… to the shop's return URL with the signed result. Mount it
// with http.StripPrefix.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cashier", s.showCashier)
	mux.HandleFunc("POST /cashier", s.submitCashier)
	mux.HandleFunc("GET /return", s.showReturn)
	return mux
}

var cashierPage = template.Must(template.New("cashier").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>沙箱收银台</title>
<style>body{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}
.warn{background:#fff3cd;padding:.5rem;border-radius:4px}.amt{font-size:2rem;color:#d4380d}
button{font-size:1.1rem;padding:.6rem 1.4rem;margin-right:1rem}</style></head>
<body>
<p class="warn">沙箱支付（测试环境）：不会真实扣款，也不需要银行卡或账户信息。</p>
<h1>收银台</h1>
<p>订单号：{{.OutTradeNo}}</p>
<p>商品：{{.Subject}}</p>
<p>应付金额：<span class="amt">¥{{.Amount}}</span></p>
{{if eq .Status "WAIT_BUYER_PAY"}}
<form method="post" action="cashier">
<input type="hidden" name="t" value="{{.Token}}">
<button type="submit" name="action" value="pay">确认支付</button>
<button type="submit" name="action" value="cancel">取消</button>
</form>
{{else}}<p>该交易已{{if .Paid}}支付{{else}}关闭{{end}}。</p>{{end}}
</body></html>
`))

type cashierView struct {
	OutTradeNo, Subject, Amount, Status, Token string
	Paid                                       bool
}

func (s *Sandbox) showCashier(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	t, tr, ok := s.byToken(token)
	if !ok {
		http.Error(w, "交易不存在 (no such sandbox trade)", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	cashierPage.Execute(w, cashierView{OutTradeNo: tr.OutTradeNo, Subject: t.Subject, Amount: tr.Amount.String(),
		Status: string(tr.Status), Token: token, Paid: tr.Status.Paid()})
}

func (s *Sandbox) submitCashier(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	t, tr, ok := s.byToken(r.PostForm.Get("t"))
	if !ok {
		http.Error(w, "交易不存在 (no such sandbox trade)", http.StatusNotFound)
		return
	}
	switch r.PostForm.Get("action") {
	case "pay":
		if _, first := s.pay(tr.OutTradeNo); first {
			s.deliver(tr.OutTradeNo)
		}
	case "cancel":
		s.cancel(tr.OutTradeNo)
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	if t.ReturnURL == "" {
		http.Redirect(w, r, "cashier?t="+url.QueryEscape(r.PostForm.Get("t")), http.StatusSeeOther)
		return
	}
	// The signed return URL is made when the browser follows this redirect, not
	// here: signing is the wallet's private-key work, kept off the paying request.
	http.Redirect(w, r, s.cfg.BaseURL+"/return?t="+url.QueryEscape(r.PostForm.Get("t")), http.StatusSeeOther)
}

// showReturn sends the buyer's browser back to the shop's return URL with the
// trade's signed result.
func (s *Sandbox) showReturn(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	t, tr, ok := s.byToken(token)
	if !ok {
		http.Error(w, "交易不存在 (no such sandbox trade)", http.StatusNotFound)
		return
	}
	back := s.returnURL(tr, t.ReturnURL)
	if back == "" {
		http.Redirect(w, r, s.cfg.BaseURL+"/cashier?t="+url.QueryEscape(token), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

var _ payment.Provider = (*Sandbox)(nil)
