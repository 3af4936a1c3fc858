// Package assess turns the ledger's household income and the registry's indicators
// into the statuses officers and the public rely on: per-capita net income against
// the poverty line of the year, the "two no-worries, three guarantees", marginal
// (at-risk) households and returns to poverty; county poverty incidence and exit
// eligibility; and reproducible audit samples with wrong-exit, missed-assessment
// and approval rates. Status is computed here and nowhere else, and every computed
// status is stored with its reasons in words, so a status can be explained, not
// only asserted.
//
// Status rules (see Evaluate):
//   - exited: per-capita net income ≥ the line AND every indicator met (food and
//     clothing, compulsory education with no school-age child out of school, basic
//     medical insurance, housing grade A/B, safe water) AND per-capita ≥ the
//     monitoring line (MarginalBp of the line, default 150%).
//   - marginal: meets the exit criteria but per-capita < the monitoring line —
//     out of poverty, counted as exited for incidence, but at risk (边缘户).
//   - poor: fails the exit criteria and was never exited (or marginal) in an earlier
//     assessed year. A registered household that never exited stays poor.
//   - returned: fails the exit criteria after having been exited or marginal in an
//     earlier assessed year (返贫). It stays returned while it keeps failing.
package assess

import (
	"time"

	"fishpond"
	"fishpond/internal/db"
	"fishpond/ledger"
	"fishpond/registry"

	"github.com/google/uuid"
)

// The statuses of a registered household, used across the app (pages, reports,
// filters). The registry stores "poor" at registration; only Run writes others.
const (
	StatusPoor     = "poor"
	StatusMarginal = "marginal"
	StatusExited   = "exited"
	StatusReturned = "returned"
)

// Statuses lists every status in the order reports show them.
var Statuses = []string{StatusPoor, StatusReturned, StatusMarginal, StatusExited}

// StatusWords gives the Chinese and English name of a status, for pages and reasons.
var StatusWords = map[string][2]string{
	StatusPoor:     {"未脱贫", "poor"},
	StatusMarginal: {"脱贫不稳定（边缘）", "marginal (exited, at risk)"},
	StatusExited:   {"已脱贫", "exited"},
	StatusReturned: {"返贫", "returned to poverty"},
}

// Exited reports whether a status means the household has exited poverty: plainly
// (exited) or while still below the monitoring line (marginal, exited but at risk
// of returning). The worked example — 5,912.50 yuan per person against a
// 4,000-yuan line, every indicator met — is exited, and marginal under the default
// 150% monitoring line.
func Exited(status string) bool { return status == StatusExited || status == StatusMarginal }

// DefaultMarginalBp is the monitoring line as a share of the poverty line: 150%.
const DefaultMarginalBp fishpond.Bp = 15000

// Assessor is the assessment capability. One per process; it holds no state
// besides its configuration, so it is safe for concurrent use.
type Assessor struct {
	db    *db.DB
	reg   *registry.Store
	led   *ledger.Ledger
	clock fishpond.Clock

	// MarginalBp is the monitoring line in basis points of the poverty line
	// (15000 = 150%): a household that meets the exit criteria below it is
	// "marginal". Set before use; must be between 10000 and 30000.
	MarginalBp fishpond.Bp
}

// New builds the assessment on the same database as the registry and the ledger it
// reads. clock gives every transaction its "now" so tests control time.
func New(d *db.DB, reg *registry.Store, led *ledger.Ledger, clock fishpond.Clock) *Assessor {
	if clock == nil {
		clock = fishpond.SystemClock{}
	}
	return &Assessor{db: d, reg: reg, led: led, clock: clock, MarginalBp: DefaultMarginalBp}
}

func (a *Assessor) now() time.Time { return a.clock.Now().UTC() }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Years accepted anywhere in assessment: the programme's era with room to spare.
const (
	MinYear = 2000
	MaxYear = 2100
)

func validYear(year int) bool { return year >= MinYear && year <= MaxYear }

func badYear(year int) error {
	return fishpond.Invalid("年份无效 / invalid year", map[string]string{
		"year": "年份应在2000至2100之间 / year must be between 2000 and 2100"})
}

func notFound(format string, args ...any) error {
	return fishpond.Errorf(fishpond.ENotFound, format, args...)
}

func forbidden(format string, args ...any) error {
	return fishpond.Errorf(fishpond.EForbidden, format, args...)
}

// yearBounds is the calendar year in China time, the period income is summed over.
func yearBounds(year int) (time.Time, time.Time) {
	from := time.Date(year, time.January, 1, 0, 0, 0, 0, fishpond.ChinaTime)
	return from, from.AddDate(1, 0, 0)
}
