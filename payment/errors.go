package payment

import (
	"errors"

	"fishpond"
)

// Why a notification was refused or needs no action. HandleNotify returns a
// *fishpond.Error wrapping one of these, so web maps the code to a status and tests
// and logs tell the reasons apart with errors.Is.
var (
	// ErrReplay: this exact notification was already applied. Answer "success" (the
	// wallet retries until it hears it) and do nothing else.
	ErrReplay = errors.New("payment: notification already applied")
	// ErrNoAction: a genuine notification that changes nothing — the trade is not
	// paid (WAIT_BUYER_PAY, TRADE_CLOSED) or the order was already paid by this
	// trade. Answer "success" and do nothing else.
	ErrNoAction = errors.New("payment: notification needs no action")

	// ErrUnsigned: no sign, or a sign_type other than the provider's (RSA2 for an
	// RSA key).
	ErrUnsigned = errors.New("payment: notification is not signed with RSA2")
	// ErrBadSignature: the signature does not verify with the provider's key —
	// forged, altered in transit, or signed with another key.
	ErrBadSignature = errors.New("payment: notification signature does not verify")
	// ErrMalformed: a required field is missing or unreadable, or a field repeats.
	ErrMalformed = errors.New("payment: notification is malformed")
	// ErrWrongApp: signed by the provider but for another merchant app.
	ErrWrongApp = errors.New("payment: notification is for another app")
	// ErrStale: notify_time is older than the accepted window (or in the future),
	// so a captured notification cannot be replayed later.
	ErrStale = errors.New("payment: notification is too old")
	// ErrNotifyConflict: a notify_id already seen arrives with different content.
	ErrNotifyConflict = errors.New("payment: notify_id reused with different content")
	// ErrUnknownOrder: no payment was created for out_trade_no.
	ErrUnknownOrder = errors.New("payment: notification for an unknown order")
	// ErrAmountMismatch: total_amount is not what we asked the buyer to pay.
	ErrAmountMismatch = errors.New("payment: notification amount differs from the order")
)

// Acknowledge tells whether the notify endpoint should answer "success": after a
// newly applied notification (err == nil) and after ones that need nothing
// (ErrReplay, ErrNoAction, ErrDuplicateTrade). Every other error answers "failure" so that a genuine
// wallet retries and a forger learns nothing.
func Acknowledge(err error) bool {
	return err == nil || errors.Is(err, ErrReplay) || errors.Is(err, ErrNoAction) || errors.Is(err, ErrDuplicateTrade)
}

// Answer is the response body the wallets expect from the notify endpoint: exactly
// "success", or anything else ("failure") to be retried.
func Answer(err error) string {
	if Acknowledge(err) {
		return "success"
	}
	return "failure"
}

func reject(code fishpond.ErrorCode, cause error, msg string) *fishpond.Error {
	return &fishpond.Error{Code: code, Message: msg, Err: cause}
}
