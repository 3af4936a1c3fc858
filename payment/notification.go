package payment

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"fishpond"
)

// NotifyTimeLayout is how notifications write notify_time: Beijing time, seconds.
const NotifyTimeLayout = "2006-01-02 15:04:05"

// MaxClockSkew is how far in the future a notify_time may be: clocks differ a little.
const MaxClockSkew = 5 * time.Minute

// Notice is a notification whose signature, app id, fields and age have been
// checked, before the database decides whether it is new and matches the order.
type Notice struct {
	NotifyID    string
	NotifyTime  time.Time
	AppID       string
	OutTradeNo  string
	TradeNo     string
	Amount      fishpond.Money
	TradeStatus TradeStatus
	// ContentHash identifies the notification's signed content apart from
	// notify_time, which wallets refresh when they re-send the same notification.
	ContentHash string
}

var amountRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})\.[0-9]{2}$`)

// ParseYuan reads total_amount exactly as the wallets write it — yuan with exactly
// two decimals ("88.00") — into fen without floats. Anything else is refused.
func ParseYuan(s string) (fishpond.Money, bool) {
	if !amountRE.MatchString(s) {
		return 0, false
	}
	whole, _ := strconv.ParseInt(s[:len(s)-3], 10, 64)
	frac, _ := strconv.ParseInt(s[len(s)-2:], 10, 64)
	return fishpond.Money(whole*100 + frac), true
}

// VerifyNotification checks everything about a notification that needs no
// database: the signature with the provider's key pub (RSA2; ES256 for a P-256
// sandbox key), required fields, app id, amount format and age against now (older than maxAge or more than MaxClockSkew
// in the future is stale). It is the parser of outside input behind HandleNotify
// and never accepts a notification that pub did not sign.
func VerifyNotification(form url.Values, pub crypto.PublicKey, appID string, now time.Time, maxAge time.Duration) (Notice, error) {
	if err := verifySignature(form, pub); err != nil {
		code := fishpond.EUnauthorized
		if err == ErrMalformed {
			code = fishpond.EInvalid
		}
		return Notice{}, reject(code, err, "payment notification refused: signature")
	}
	fields := map[string]string{}
	for _, k := range []string{"notify_id", "notify_time", "app_id", "out_trade_no", "trade_no", "total_amount", "trade_status"} {
		v := form.Get(k)
		if v == "" || len(v) > 256 {
			fields[k] = "required, at most 256 bytes"
		}
	}
	if len(fields) > 0 {
		return Notice{}, &fishpond.Error{Code: fishpond.EInvalid, Message: "payment notification refused: missing fields", Fields: fields, Err: ErrMalformed}
	}
	if form.Get("app_id") != appID {
		return Notice{}, reject(fishpond.EForbidden, ErrWrongApp, "payment notification refused: app_id")
	}
	amount, ok := ParseYuan(form.Get("total_amount"))
	if !ok || amount <= 0 {
		return Notice{}, &fishpond.Error{Code: fishpond.EInvalid, Message: "payment notification refused: amount",
			Fields: map[string]string{"total_amount": "yuan with two decimals, above zero"}, Err: ErrMalformed}
	}
	at, err := time.ParseInLocation(NotifyTimeLayout, form.Get("notify_time"), fishpond.ChinaTime)
	if err != nil {
		return Notice{}, &fishpond.Error{Code: fishpond.EInvalid, Message: "payment notification refused: notify_time",
			Fields: map[string]string{"notify_time": "yyyy-mm-dd hh:mm:ss"}, Err: ErrMalformed}
	}
	if now.Sub(at) > maxAge || at.Sub(now) > MaxClockSkew {
		return Notice{}, reject(fishpond.EUnauthorized, ErrStale, "payment notification refused: notify_time out of window")
	}
	rest := url.Values{}
	for k, v := range form {
		if k != "notify_time" {
			rest[k] = v
		}
	}
	c, _ := Canonical(rest)
	sum := sha256.Sum256([]byte(c))
	return Notice{
		NotifyID:    form.Get("notify_id"),
		NotifyTime:  at,
		AppID:       appID,
		OutTradeNo:  form.Get("out_trade_no"),
		TradeNo:     form.Get("trade_no"),
		Amount:      amount,
		TradeStatus: TradeStatus(form.Get("trade_status")),
		ContentHash: hex.EncodeToString(sum[:]),
	}, nil
}
