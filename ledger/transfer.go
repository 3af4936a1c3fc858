package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// Posting is one leg of a transfer: Amount fen on one account, debit positive and
// credit negative (see the package comment).
type Posting struct {
	AccountID string
	Amount    fishpond.Money
	// RuleID is set on the legs a standing rule added; requests leave it empty.
	RuleID string
}

// TransferRequest is a balanced movement of money a caller asks for. The
// idempotency key makes retries safe: a request repeated with the same key and
// content returns the first result; with other content it is a conflict.
type TransferRequest struct {
	IdempotencyKey string
	Kind           string    // what happened: sale, wage, rent, fee, repayment, …
	Memo           string    // words for statements
	Evidence       string    // optional note of proof (contract number, survey form)
	At             time.Time // effective time, which decides income periods; zero means now
	Currency       string    // "" means CNY; every account must hold this currency
	Postings       []Posting // two or more, non-zero, summing to zero, one per account
}

// Transfer is a recorded, immutable transfer. Postings include legs added by
// standing rules, in order after the requested legs.
type Transfer struct {
	ID             string
	IdempotencyKey string
	Kind           string
	Memo           string
	Evidence       string
	Currency       string
	At             time.Time // effective
	RecordedAt     time.Time
	Reverses       string // id of the transfer this one reverses, if any
	Postings       []Posting
	// Replayed is true when the key had been used before and this is the first
	// result returned again; nothing new was posted.
	Replayed bool
}

// Limits on a request, so that one bad caller cannot write unbounded rows.
const (
	MaxPostings = 64
	MaxAmount   = fishpond.Money(1_000_000_000_000_00) // 1 trillion yuan per leg
	maxKeyLen   = 200
	maxKindLen  = 64
	maxMemoLen  = 500
	maxEvidence = 2000
	minYear     = 1990
	maxYear     = 2200
)

// Validate checks everything about a request that needs no database: it is what
// runs before a request joins a group commit, so a bad request never fails its
// batch-mates. It normalises Currency and At (to UTC microseconds) in place.
func (r *TransferRequest) Validate() error {
	f := map[string]string{}
	if r.IdempotencyKey == "" {
		f["idempotency_key"] = "required"
	} else if len(r.IdempotencyKey) > maxKeyLen || !utf8.ValidString(r.IdempotencyKey) {
		f["idempotency_key"] = fmt.Sprintf("at most %d bytes of UTF-8", maxKeyLen)
	}
	if r.Kind == "" {
		f["kind"] = "required"
	} else if len(r.Kind) > maxKindLen || !utf8.ValidString(r.Kind) {
		f["kind"] = fmt.Sprintf("at most %d bytes of UTF-8", maxKindLen)
	}
	if len(r.Memo) > maxMemoLen || !utf8.ValidString(r.Memo) {
		f["memo"] = fmt.Sprintf("at most %d bytes of UTF-8", maxMemoLen)
	}
	if len(r.Evidence) > maxEvidence || !utf8.ValidString(r.Evidence) {
		f["evidence"] = fmt.Sprintf("at most %d bytes of UTF-8", maxEvidence)
	}
	if r.Currency == "" {
		r.Currency = CNY
	}
	if !currencyPattern.MatchString(r.Currency) {
		f["currency"] = "three upper-case letters, e.g. CNY"
	}
	if !r.At.IsZero() {
		r.At = r.At.UTC().Truncate(time.Microsecond)
		if y := r.At.Year(); y < minYear || y > maxYear {
			f["at"] = fmt.Sprintf("effective time must fall in %d–%d", minYear, maxYear)
		}
	}
	switch {
	case len(r.Postings) < 2:
		f["postings"] = "a transfer needs at least two postings"
	case len(r.Postings) > MaxPostings:
		f["postings"] = fmt.Sprintf("at most %d postings", MaxPostings)
	default:
		var sum fishpond.Money
		seen := make(map[string]int, len(r.Postings))
		for i, p := range r.Postings {
			name := fmt.Sprintf("postings[%d]", i)
			switch {
			case p.AccountID == "" || len(p.AccountID) > 64:
				f[name+".account"] = "an account id is required"
			case p.RuleID != "":
				f[name+".rule"] = "rule legs are added by the ledger, not requested"
			}
			if j, dup := seen[p.AccountID]; dup && p.AccountID != "" {
				f[name+".account"] = fmt.Sprintf("same account as postings[%d]; combine them", j)
			}
			seen[p.AccountID] = i
			switch {
			case p.Amount == 0:
				f[name+".amount"] = "must not be zero"
			case p.Amount > MaxAmount || p.Amount < -MaxAmount:
				f[name+".amount"] = "out of range"
			default:
				sum += p.Amount // cannot overflow: at most 64 legs within ±MaxAmount
			}
		}
		if sum != 0 && !hasAmountError(f) {
			f["postings"] = fmt.Sprintf("debits and credits differ by %s yuan; postings must sum to zero", sum)
		}
	}
	if len(f) > 0 {
		return fishpond.Invalid("invalid transfer", f)
	}
	return nil
}

func hasAmountError(f map[string]string) bool {
	for k := range f {
		if strings.HasSuffix(k, ".amount") {
			return true
		}
	}
	return false
}

// contentHash fingerprints what a request asks for, independent of posting order,
// so that a retry with the same key can be told apart from a different request.
func contentHash(r *TransferRequest, reverses string) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(r.Kind)
	field(r.Memo)
	field(r.Evidence)
	field(r.Currency)
	field(reverses)
	if r.At.IsZero() {
		field("now")
	} else {
		field(db.FormatTime(r.At))
	}
	ps := slices.Clone(r.Postings)
	slices.SortFunc(ps, func(a, b Posting) int { return strings.Compare(a.AccountID, b.AccountID) })
	for _, p := range ps {
		field(p.AccountID)
		binary.LittleEndian.PutUint64(n[:], uint64(p.Amount))
		h.Write(n[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
