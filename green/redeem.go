package green

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"

	"github.com/google/uuid"
)

// Certificate proves that a user's energy paid for trees or square metres of a
// project; it names the project's place and, once planted, where the trees stand.
type Certificate struct {
	ID        string
	Code      string // public, 12 characters
	UserID    string
	Project   Project
	Quantity  int64 // trees or m2
	Grams     int64
	IssuedAt  time.Time
	Planted   int64 // trees of this certificate planted with verified evidence
	Survived  int64 // of those, found alive by a survival audit
	Replayed  bool
	TreeSpots []Spot // where its planted trees stand
}

// Spot is a planted tree's recorded location.
type Spot struct {
	Lat, Lon  float64
	PlantedAt time.Time
	State     string
}

// Tree states.
const (
	TreePledged  = "pledged" // redeemed, waiting to be planted
	TreePlanted  = "planted"
	TreeSurvived = "survived" // alive at its last audit
	TreeDead     = "dead"
)

// MaxRedeem bounds one redemption (trees or m2).
const MaxRedeem = 1000

// Redeem spends the principal's energy on quantity trees (or m2) of a project and
// issues a certificate. key makes it safe to retry: the same key and request
// returns the first certificate; energy is taken once. The energy balance and the
// project's capacity are both changed by conditional UPDATEs in one transaction,
// so energy cannot be spent twice nor a project oversubscribed.
func (s *Service) Redeem(ctx context.Context, p fishpond.Principal, projectID string, quantity int64, key string) (Certificate, error) {
	if err := needUser(p); err != nil {
		return Certificate{}, err
	}
	f := map[string]string{}
	if quantity <= 0 || quantity > MaxRedeem {
		f["quantity"] = fmt.Sprintf("1 至 %d from 1 to %d", MaxRedeem, MaxRedeem)
	}
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if len(f) > 0 {
		return Certificate{}, fishpond.Invalid("兑换无效 invalid redemption", f)
	}
	idem := p.UserID + ":" + key
	var c Certificate
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		c = Certificate{}
		var id, pid string
		var qty int64
		err := tx.QueryRowContext(ctx, "SELECT id, project_id, quantity FROM green_certificates WHERE idem_key = ?", idem).Scan(&id, &pid, &qty)
		if err == nil {
			if pid != projectID || qty != quantity {
				return fishpond.Errorf(fishpond.EConflict, "该幂等键已用于另一兑换 idempotency key already used for another redemption")
			}
			c.ID, c.Replayed = id, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fishpond.Internal(err)
		}
		pr, err := loadProject(ctx, tx, projectID, tx.ForUpdate())
		if err != nil {
			return err
		}
		grams := pr.PriceG * quantity
		now := s.now()
		res, err := tx.ExecContext(ctx, "UPDATE green_projects SET redeemed = redeemed + ? WHERE id = ? AND redeemed + ? <= capacity", quantity, pr.ID, quantity)
		if err != nil {
			return fishpond.Internal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return &fishpond.Error{Code: fishpond.EConflict, Message: "项目余量不足 the project has not enough left",
				Fields: map[string]string{"quantity": fmt.Sprintf("剩余 %d left", pr.Capacity-pr.Redeemed)}}
		}
		c = Certificate{ID: uuid.Must(uuid.NewV7()).String(), Code: newCode(), UserID: p.UserID, Project: pr, Quantity: quantity, Grams: grams, IssuedAt: now}
		if err := spend(ctx, tx, p.UserID, grams, "certificate:"+c.ID, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO green_certificates (id, code, idem_key, user_id, project_id, quantity, grams, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			c.ID, c.Code, idem, p.UserID, pr.ID, quantity, grams, db.FormatTime(now))
		if err != nil {
			if db.IsUniqueViolation(err) {
				return db.Retry(err)
			}
			return fishpond.Internal(err)
		}
		ev := events.Event{Type: "green.area.adopted", Subject: pr.ID, CountyCode: pr.CountyCode, Payload: map[string]any{"project_id": pr.ID, "m2": quantity, "grams": grams}}
		if pr.Kind == ProjectTree {
			rows := make([]any, 0, 5*quantity)
			for range quantity {
				rows = append(rows, uuid.Must(uuid.NewV7()).String(), pr.ID, c.ID, TreePledged, db.FormatTime(now))
			}
			if err := db.InsertRows(ctx, tx, "INSERT INTO green_trees (id, project_id, certificate_id, state, created_at) VALUES ", "", 5, int(quantity), rows); err != nil {
				return fishpond.Internal(err)
			}
			ev = events.Event{Type: "green.tree.redeemed", Subject: pr.ID, CountyCode: pr.CountyCode, Payload: map[string]any{"project_id": pr.ID, "count": quantity, "grams": grams}}
		}
		return events.Append(ctx, tx, now, ev)
	})
	if err != nil {
		return Certificate{}, err
	}
	replayed := c.Replayed
	out, err := s.certificate(ctx, "id", c.ID)
	out.Replayed = replayed
	return out, err
}

// newCode is a certificate's public code: 12 characters without look-alikes.
func newCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// CertificateByCode returns a certificate by its public code, for anyone holding
// it (the page shows the project and its trees, never the holder).
func (s *Service) CertificateByCode(ctx context.Context, code string) (Certificate, error) {
	return s.certificate(ctx, "code", strings.ToUpper(strings.TrimSpace(code)))
}

func (s *Service) certificate(ctx context.Context, col, v string) (Certificate, error) {
	q := s.db.Read()
	var c Certificate
	var pid, at string
	err := q.QueryRowContext(ctx, "SELECT id, code, user_id, project_id, quantity, grams, issued_at FROM green_certificates WHERE "+col+" = ?", v).
		Scan(&c.ID, &c.Code, &c.UserID, &pid, &c.Quantity, &c.Grams, &at)
	if err != nil {
		return c, db.NotFound(err, "证书不存在 certificate not found")
	}
	c.IssuedAt = db.MustTime(at)
	if c.Project, err = s.Project(ctx, pid); err != nil {
		return c, err
	}
	rows, err := q.QueryContext(ctx, "SELECT state, lat_e6, lon_e6, planted_at FROM green_trees WHERE certificate_id = ? AND state <> ? ORDER BY planted_at, id", c.ID, TreePledged)
	if err != nil {
		return c, fishpond.Internal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sp Spot
		var lat, lon int64
		var pat string
		if err := rows.Scan(&sp.State, &lat, &lon, &pat); err != nil {
			return c, fishpond.Internal(err)
		}
		sp.Lat, sp.Lon, sp.PlantedAt = fromE6(lat), fromE6(lon), db.MustTime(pat)
		c.Planted++
		if sp.State == TreeSurvived {
			c.Survived++
		}
		c.TreeSpots = append(c.TreeSpots, sp)
	}
	return c, rows.Err()
}

// Certificates lists the principal's certificates, newest first.
func (s *Service) Certificates(ctx context.Context, p fishpond.Principal) ([]Certificate, error) {
	if err := needUser(p); err != nil {
		return nil, err
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT code FROM green_certificates WHERE user_id = ? ORDER BY issued_at DESC LIMIT 100", p.UserID)
	if err != nil {
		return nil, fishpond.Internal(err)
	}
	var codes []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, fishpond.Internal(err)
		}
		codes = append(codes, c)
	}
	rows.Close()
	out := make([]Certificate, 0, len(codes))
	for _, code := range codes {
		c, err := s.CertificateByCode(ctx, code)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
