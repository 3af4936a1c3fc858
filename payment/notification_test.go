package payment

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"fishpond"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

func mustKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() { testKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
	return testKey
}

var notifyNow = time.Date(2020, 6, 18, 10, 0, 0, 0, fishpond.ChinaTime)

func signedForm(t testing.TB) url.Values {
	t.Helper()
	f := url.Values{
		"notify_id": {"ac05099524730693a8b330c5ecf72da9786"}, "notify_time": {"2020-06-18 09:59:30"},
		"notify_type": {"trade_status_sync"}, "app_id": {"app-1"}, "out_trade_no": {"ORD-1"},
		"trade_no": {"2020061822001"}, "total_amount": {"88.50"}, "trade_status": {"TRADE_SUCCESS"},
		"subject": {"赣南脐橙 5kg & more=yes"},
	}
	if err := Sign(f, mustKey(t)); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCanonical(t *testing.T) {
	f := url.Values{"b": {"2"}, "a": {"1"}, "sign_type": {"RSA2"}, "sign": {"x"}, "c": {""}, "subject": {"橙 & 柚=好"}}
	got, ok := Canonical(f)
	if want := "a=1&b=2&subject=橙 & 柚=好"; !ok || got != want {
		t.Fatalf("canonical %q, want %q", got, want)
	}
	if _, ok := Canonical(url.Values{"a": {"1", "2"}}); ok {
		t.Fatal("repeated key accepted")
	}
}

func TestParseYuan(t *testing.T) {
	good := map[string]fishpond.Money{"0.01": 1, "88.50": 8850, "100000000.00": 10_000_000_000, "0.00": 0}
	for s, want := range good {
		if got, ok := ParseYuan(s); !ok || got != want {
			t.Errorf("%q: %d %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "1", "1.5", "1.500", "01.00", "-1.00", "+1.00", "1e2", " 1.00", "1,00", "1.0a", "9999999999999.00"} {
		if _, ok := ParseYuan(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestVerifyNotification(t *testing.T) {
	n, err := VerifyNotification(signedForm(t), &mustKey(t).PublicKey, "app-1", notifyNow, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n.Amount != 8850 || n.OutTradeNo != "ORD-1" || n.TradeStatus != TradeSuccess || n.ContentHash == "" {
		t.Fatalf("%+v", n)
	}
	// A re-sent notification differs only in notify_time: same content hash.
	f := signedForm(t)
	f.Set("notify_time", "2020-06-18 09:59:59")
	Sign(f, mustKey(t))
	m, err := VerifyNotification(f, &mustKey(t).PublicKey, "app-1", notifyNow, time.Hour)
	if err != nil || m.ContentHash != n.ContentHash {
		t.Fatalf("re-sent: %v, hash %s vs %s", err, m.ContentHash, n.ContentHash)
	}
	if _, err := VerifyNotification(signedForm(t), nil, "app-1", notifyNow, time.Hour); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("nil key: %v", err)
	}
	missing := signedForm(t)
	missing.Del("notify_id")
	Sign(missing, mustKey(t))
	if _, err := VerifyNotification(missing, &mustKey(t).PublicKey, "app-1", notifyNow, time.Hour); !errors.Is(err, ErrMalformed) {
		t.Fatalf("missing notify_id: %v", err)
	}
}

// FuzzVerifyNotification feeds arbitrary form bodies to the verifier: it must never
// panic, never accept a body without a signature, and never accept content other
// than what the key signed (the fuzzer cannot forge RSA, so anything accepted must
// canonicalise to a seed's signed string).
func FuzzVerifyNotification(f *testing.F) {
	seed := signedForm(f)
	signed, _ := Canonical(seed)
	f.Add(seed.Encode())
	f.Add("sign_type=RSA2&sign=AAAA&app_id=app-1&total_amount=1.00")
	f.Add("")
	f.Add("a=%zz&sign=")
	pub := &mustKey(f).PublicKey
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		n, err := VerifyNotification(form, pub, "app-1", notifyNow, time.Hour)
		if err != nil {
			if fishpond.Code(err) == fishpond.EInternal {
				t.Fatalf("internal error for outside input: %v", err)
			}
			return
		}
		if form.Get("sign") == "" {
			t.Fatalf("accepted an unsigned body: %q", body)
		}
		if c, _ := Canonical(form); c != signed {
			t.Fatalf("accepted content that was not signed: %q", c)
		}
		if n.Amount <= 0 {
			t.Fatalf("accepted amount %d", n.Amount)
		}
	})
}

// TestSignTypeFollowsTheKey: a provider with a P-256 key (the sandbox in load
// tests) accepts ES256 only, one with an RSA key (every wallet) RSA2 only; a
// signature by any other key, or of altered content, is refused either way.
func TestSignTypeFollowsTheKey(t *testing.T) {
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	base := signedForm(t)
	signed := func(key crypto.Signer) url.Values {
		f := url.Values{}
		for k, v := range base {
			if k != "sign" && k != "sign_type" {
				f[k] = v
			}
		}
		if err := Sign(f, key); err != nil {
			t.Fatal(err)
		}
		return f
	}
	es := signed(ek)
	if es.Get("sign_type") != SignTypeES256 {
		t.Fatalf("sign_type %q", es.Get("sign_type"))
	}
	if n, err := VerifyNotification(es, &ek.PublicKey, "app-1", notifyNow, time.Hour); err != nil || n.Amount != 8850 {
		t.Fatalf("ES256 with its key: %v", err)
	}
	altered := signed(ek)
	altered.Set("total_amount", "0.01")
	cases := []struct {
		name string
		form url.Values
		pub  crypto.PublicKey
		want error
	}{
		{"ES256 altered", altered, &ek.PublicKey, ErrBadSignature},
		{"ES256 by another key", signed(other), &ek.PublicKey, ErrBadSignature},
		{"RSA2 to a P-256 provider", signed(mustKey(t)), &ek.PublicKey, ErrUnsigned},
		{"ES256 to an RSA provider", es, &mustKey(t).PublicKey, ErrUnsigned},
		{"no key", es, nil, ErrBadSignature},
	}
	for _, c := range cases {
		if _, err := VerifyNotification(c.form, c.pub, "app-1", notifyNow, time.Hour); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}
