package farms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/events"
	"fishpond/internal/db"
	"fishpond/market"
)

// Field statuses.
const (
	FieldGrowing   = "growing"
	FieldHarvested = "harvested"
)

// Field is a plot the cooperative farms for a season. When ClaimableMu > 0, urban
// consumers may claim whole mu of it at ClaimPrice each: the field lists a claim
// product in the cooperative's shop (stock = claimable mu, so claims can never
// exceed it), and each claim is a marketplace order paid through the wallet.
type Field struct {
	ID          string
	CoopID      string
	CountyCode  string
	Name        string
	Crop        string
	Season      string // e.g. "2020"
	Area        Area
	ClaimableMu int64
	ClaimPrice  fishpond.Money // per mu
	ProductID   string         // the claim product, "" when not open to claims
	Status      string
	Yield       Weight // recorded at harvest
	HarvestedAt time.Time
	CreatedAt   time.Time
	ClaimedMu   int64 // paid claims (computed)
}

// FieldInput is what the manager enters. ShopID is the cooperative's shop, where
// the claim product is listed.
type FieldInput struct {
	Name        string
	Crop        string
	Season      string
	Area        Area
	ClaimableMu int64
	ClaimPrice  fishpond.Money
	ShopID      string
}

// AddField records a field; if it is open to claims, its claim product is listed
// in the cooperative's shop first (a crash between leaves an unused listing, never
// a field that cannot be claimed).
func (s *Service) AddField(ctx context.Context, p fishpond.Principal, coopID string, in FieldInput) (Field, error) {
	in.Name, in.Crop, in.Season = strings.TrimSpace(in.Name), strings.TrimSpace(in.Crop), strings.TrimSpace(in.Season)
	f := map[string]string{}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 60 {
		f["name"] = "必填，最多60字 required, at most 60 characters"
	}
	if in.Crop == "" || utf8.RuneCountInString(in.Crop) > 30 {
		f["crop"] = "必填，最多30字 required, at most 30 characters"
	}
	if len(in.Season) != 4 || in.Season < "2000" || in.Season > "2100" {
		f["season"] = "季节为年份，如 2020 the season is a year such as 2020"
	}
	if in.Area <= 0 || in.Area > MaxContractArea {
		f["area"] = "面积须大于0且不超过10万亩 area must be above 0 and at most 100,000 mu"
	}
	if in.ClaimableMu < 0 || Mu(in.ClaimableMu) > in.Area {
		f["claimable_mu"] = "可认领面积须在0到地块面积之间 claimable mu must be 0 up to the field's area"
	}
	if in.ClaimableMu > 0 && (in.ClaimPrice <= 0 || in.ClaimPrice > market.MaxPrice) {
		f["claim_price"] = "认领价须大于0且不超过100万元 the claim price must be above 0 and at most 1,000,000 yuan"
	}
	if in.ClaimableMu > 0 && in.ShopID == "" {
		f["shop_id"] = "开放认领须指定合作社店铺 claims need the cooperative's shop"
	}
	co, err := managedCoop(ctx, s.db.Read(), p, coopID, false)
	if err != nil {
		return Field{}, err
	}
	if len(f) > 0 {
		return Field{}, fishpond.Invalid("地块信息有误 invalid field", f)
	}
	fl := Field{ID: newID(), CoopID: co.ID, CountyCode: co.CountyCode, Name: in.Name, Crop: in.Crop, Season: in.Season, Area: in.Area,
		ClaimableMu: in.ClaimableMu, ClaimPrice: in.ClaimPrice, Status: FieldGrowing}
	if in.ClaimableMu > 0 {
		sh, err := s.market.Shop(ctx, in.ShopID)
		if err != nil || sh.OwnerKind != market.OwnerCoop || sh.OwnerID != co.ID {
			return Field{}, fishpond.Invalid("地块信息有误 invalid field", map[string]string{"shop_id": "不是本合作社的店铺 not this cooperative's shop"})
		}
		pr, err := s.market.AddProduct(ctx, p, market.ProductInput{ShopID: sh.ID, Name: fmt.Sprintf("认领%s·%s %s季（1亩）", in.Name, in.Crop, in.Season),
			Category: "认领", Unit: "亩", Price: in.ClaimPrice, Stock: in.ClaimableMu, OriginCounty: co.CountyCode,
			BatchCode: "CLAIM-" + in.Season + "-" + strings.ReplaceAll(fl.ID[len(fl.ID)-12:], "-", ""), HarvestDate: s.today(), CoopID: co.ID})
		if err != nil {
			return Field{}, err
		}
		fl.ProductID = pr.ID
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		fl.CreatedAt = now
		var product any
		if fl.ProductID != "" {
			product = fl.ProductID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO farms_fields (id, coop_id, county_code, name, crop, season, area_cmu, claimable_mu, claim_price,
			product_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, fl.ID, fl.CoopID, fl.CountyCode, fl.Name, fl.Crop, fl.Season,
			int64(fl.Area), fl.ClaimableMu, int64(fl.ClaimPrice), product, fl.Status, db.FormatTime(now)); err != nil {
			return internal(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.field.added", Subject: fl.ID, CountyCode: fl.CountyCode,
			Payload: map[string]any{"coop_id": fl.CoopID, "crop": fl.Crop, "season": fl.Season, "mu": fl.Area.String(), "claimable_mu": fl.ClaimableMu}})
	})
	if err != nil {
		return Field{}, err
	}
	return fl, nil
}

// paidStatuses are the order statuses in which a claim's money was received.
var paidStatuses = []any{string(market.StatusPaid), string(market.StatusShipped), string(market.StatusDelivered), string(market.StatusSettled)}

const fieldColumns = `f.id, f.coop_id, f.county_code, f.name, f.crop, f.season, f.area_cmu, f.claimable_mu, f.claim_price, COALESCE(f.product_id, ''),
	f.status, f.yield_g, f.harvested_at, f.created_at,
	(SELECT COALESCE(SUM(c.mu), 0) FROM farms_claims c JOIN market_orders o ON o.id = c.order_id WHERE c.field_id = f.id AND o.status IN (?, ?, ?, ?))
	FROM farms_fields f`

func scanField(row interface{ Scan(...any) error }) (Field, error) {
	var fl Field
	var area, price, yield int64
	var harvested, created string
	if err := row.Scan(&fl.ID, &fl.CoopID, &fl.CountyCode, &fl.Name, &fl.Crop, &fl.Season, &area, &fl.ClaimableMu, &price, &fl.ProductID,
		&fl.Status, &yield, &harvested, &created, &fl.ClaimedMu); err != nil {
		return Field{}, err
	}
	fl.Area, fl.ClaimPrice, fl.Yield, fl.CreatedAt = Area(area), fishpond.Money(price), Weight(yield), db.MustTime(created)
	if harvested != "" {
		fl.HarvestedAt = db.MustTime(harvested)
	}
	return fl, nil
}

// Field reads a field; fields are public (no personal data), so consumers can
// find and claim them.
func (s *Service) Field(ctx context.Context, id string) (Field, error) {
	fl, err := scanField(s.db.Read().QueryRowContext(ctx, "SELECT "+fieldColumns+" WHERE f.id = ?", append(paidStatuses, id)...))
	if err != nil {
		return Field{}, db.NotFound(err, "没有该地块 no such field")
	}
	return fl, nil
}

// Fields lists fields, of one cooperative ("" for all), newest season first.
func (s *Service) Fields(ctx context.Context, coopID string) ([]Field, error) {
	where, args := "", paidStatuses
	if coopID != "" {
		where, args = " WHERE f.coop_id = ?", append(append([]any{}, paidStatuses...), coopID)
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+fieldColumns+where+" ORDER BY f.season DESC, f.created_at, f.id", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Field
	for rows.Next() {
		fl, err := scanField(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, fl)
	}
	return out, internal(rows.Err())
}

// Claim statuses.
const (
	ClaimPlaced  = "placed"  // order placed; counts once paid
	ClaimShipped = "shipped" // harvest share sent
)

// Claim is a consumer's claim on a field for its season.
type Claim struct {
	ID          string
	FieldID     string
	UserID      string
	Mu          int64
	OrderID     string
	OrderStatus string
	Certificate string // claim certificate number, printed on the certificate page
	Share       Weight // the claimer's share of the harvest, set at harvest
	Status      string
	CreatedAt   time.Time
	ShippedAt   time.Time
}

// ClaimInput is what the claim button sends.
type ClaimInput struct {
	Mu             int64
	AddressID      string // where the harvest share is delivered
	IdempotencyKey string
}

// MakeClaim claims mu of a field for the signed-in consumer: a marketplace order of
// the field's claim product (so stock guarantees the field is never over-claimed,
// and payment goes through the wallet), then the claim with its certificate. The
// same key returns the same claim, also after a crash between the two steps.
func (s *Service) MakeClaim(ctx context.Context, p fishpond.Principal, fieldID string, in ClaimInput) (Claim, error) {
	if p.UserID == "" {
		return Claim{}, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	fl, err := s.Field(ctx, fieldID)
	if err != nil {
		return Claim{}, err
	}
	f := map[string]string{}
	if in.Mu <= 0 || in.Mu > fl.ClaimableMu {
		f["mu"] = fmt.Sprintf("认领面积须在1到%d亩之间 claim 1–%d mu", fl.ClaimableMu, fl.ClaimableMu)
	}
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > 80 {
		f["idempotency_key"] = "必填，最多80字节 required, at most 80 bytes"
	}
	if len(f) > 0 {
		return Claim{}, fishpond.Invalid("认领信息有误 invalid claim", f)
	}
	if fl.ProductID == "" || fl.Status != FieldGrowing {
		return Claim{}, conflict("该地块不开放认领 the field is not open to claims")
	}
	o, err := s.market.PlaceOrder(ctx, p, market.OrderRequest{IdempotencyKey: "farm-claim:" + in.IdempotencyKey, AddressID: in.AddressID,
		Lines: []market.LineRequest{{ProductID: fl.ProductID, Qty: in.Mu}}})
	if err != nil {
		return Claim{}, err
	}
	var c Claim
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		var existing string
		if err := tx.QueryRowContext(ctx, "SELECT id FROM farms_claims WHERE order_id = ?", o.ID).Scan(&existing); err == nil {
			c, err = loadClaim(ctx, tx, existing)
			return err
		}
		now := s.now()
		c = Claim{ID: newID(), FieldID: fl.ID, UserID: p.UserID, Mu: in.Mu, OrderID: o.ID, OrderStatus: string(o.Status), Status: ClaimPlaced, CreatedAt: now}
		sum := sha256.Sum256([]byte(c.ID))
		c.Certificate = fmt.Sprintf("RL%s-%s", fl.Season, strings.ToUpper(hex.EncodeToString(sum[:5])))
		if _, err := tx.ExecContext(ctx, "INSERT INTO farms_claims (id, field_id, user_id, mu, order_id, certificate, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			c.ID, c.FieldID, c.UserID, c.Mu, c.OrderID, c.Certificate, c.Status, db.FormatTime(now)); err != nil {
			if db.IsUniqueViolation(err) {
				return db.Retry(err)
			}
			return internal(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.claim.made", Subject: c.ID, CountyCode: fl.CountyCode,
			Payload: map[string]any{"coop_id": fl.CoopID, "field_id": fl.ID, "mu": c.Mu, "price_fen": int64(fl.ClaimPrice) * c.Mu, "order_id": c.OrderID}})
	})
	if err != nil {
		return Claim{}, err
	}
	return c, nil
}

const claimColumns = `c.id, c.field_id, c.user_id, c.mu, c.order_id, o.status, c.certificate, c.share_g, c.status, c.created_at, c.shipped_at
	FROM farms_claims c JOIN market_orders o ON o.id = c.order_id`

func scanClaim(row interface{ Scan(...any) error }) (Claim, error) {
	var c Claim
	var share int64
	var created, shipped string
	if err := row.Scan(&c.ID, &c.FieldID, &c.UserID, &c.Mu, &c.OrderID, &c.OrderStatus, &c.Certificate, &share, &c.Status, &created, &shipped); err != nil {
		return Claim{}, err
	}
	c.Share, c.CreatedAt = Weight(share), db.MustTime(created)
	if shipped != "" {
		c.ShippedAt = db.MustTime(shipped)
	}
	return c, nil
}

func loadClaim(ctx context.Context, q db.Querier, id string) (Claim, error) {
	c, err := scanClaim(q.QueryRowContext(ctx, "SELECT "+claimColumns+" WHERE c.id = ?", id))
	if err != nil {
		return Claim{}, db.NotFound(err, "没有该认领 no such claim")
	}
	return c, nil
}

// Claim reads a claim (its certificate): the claimer's own, or any for the
// cooperative's manager and admins.
func (s *Service) Claim(ctx context.Context, p fishpond.Principal, id string) (Claim, error) {
	c, err := loadClaim(ctx, s.db.Read(), id)
	if err != nil {
		return Claim{}, err
	}
	if c.UserID == p.UserID && p.UserID != "" {
		return c, nil
	}
	fl, err := s.Field(ctx, c.FieldID)
	if err != nil {
		return Claim{}, err
	}
	if _, err := managedCoop(ctx, s.db.Read(), p, fl.CoopID, false); err != nil {
		return Claim{}, notFound("没有该认领 no such claim")
	}
	return c, nil
}

// MyClaims lists the signed-in consumer's claims, newest first.
func (s *Service) MyClaims(ctx context.Context, p fishpond.Principal) ([]Claim, error) {
	if p.UserID == "" {
		return nil, fishpond.Errorf(fishpond.EUnauthorized, "请先登录 sign in first")
	}
	return s.listClaims(ctx, "c.user_id = ?", p.UserID)
}

// FieldClaims lists a field's claims for the cooperative's manager.
func (s *Service) FieldClaims(ctx context.Context, p fishpond.Principal, fieldID string) ([]Claim, error) {
	fl, err := s.Field(ctx, fieldID)
	if err != nil {
		return nil, err
	}
	if _, err := s.Coop(ctx, p, fl.CoopID); err != nil {
		return nil, err
	}
	return s.listClaims(ctx, "c.field_id = ?", fieldID)
}

func (s *Service) listClaims(ctx context.Context, where string, args ...any) ([]Claim, error) {
	rows, err := s.db.Read().QueryContext(ctx, "SELECT "+claimColumns+" WHERE "+where+" ORDER BY c.created_at DESC, c.id DESC", args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		c, err := scanClaim(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, c)
	}
	return out, internal(rows.Err())
}

// Harvest is what recording a harvest did.
type Harvest struct {
	Field   Field
	Shipped int // claim orders shipped now
	Unpaid  int // claims whose order was never paid (not delivered)
}

// RecordHarvest records a field's yield and sends each paid claim its share —
// claimed mu × yield per mu, rounded down to the gram — by shipping the claim's
// marketplace order (tracking number "HV-" + certificate). Running it again for the
// same field ships whatever a crash left unshipped, and never changes the yield.
func (s *Service) RecordHarvest(ctx context.Context, p fishpond.Principal, fieldID string, yield Weight) (Harvest, error) {
	if yield <= 0 || yield > Kg(1_000_000_000) {
		return Harvest{}, fishpond.Invalid("产量有误 invalid yield", map[string]string{"yield": "产量须大于0 yield must be above 0"})
	}
	var h Harvest
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		fl, err := scanField(tx.QueryRowContext(ctx, "SELECT "+fieldColumns+" WHERE f.id = ?", append(paidStatuses, fieldID)...))
		if err != nil {
			return db.NotFound(err, "没有该地块 no such field")
		}
		if _, err := managedCoop(ctx, tx, p, fl.CoopID, false); err != nil {
			return err
		}
		if fl.Status == FieldHarvested {
			if fl.Yield != yield {
				return conflict("已记录产量 %s kg the yield was recorded as %s kg", fl.Yield, fl.Yield)
			}
			h.Field = fl
			return nil
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, "UPDATE farms_fields SET status = ?, yield_g = ?, harvested_at = ? WHERE id = ? AND status = ?",
			FieldHarvested, int64(yield), db.FormatTime(now), fl.ID, FieldGrowing)
		if err != nil {
			return internal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return db.Retry(fmt.Errorf("field %s harvested concurrently", fl.ID)) // the rerun sees the yield
		}
		// Shares for claims whose money was received; the others get nothing.
		if _, err := tx.ExecContext(ctx, `UPDATE farms_claims SET share_g = mu * 100 * ? / ? WHERE field_id = ?
			AND order_id IN (SELECT id FROM market_orders WHERE status IN (?, ?, ?, ?))`,
			append([]any{int64(yield), int64(fl.Area), fl.ID}, paidStatuses...)...); err != nil {
			return internal(err)
		}
		fl.Status, fl.Yield, fl.HarvestedAt = FieldHarvested, yield, now
		h.Field = fl
		return events.Append(ctx, tx, now, events.Event{Type: "farms.harvest.recorded", Subject: fl.ID, CountyCode: fl.CountyCode,
			Payload: map[string]any{"coop_id": fl.CoopID, "crop": fl.Crop, "season": fl.Season, "grams": int64(yield), "mu": fl.Area.String(), "claimed_mu": fl.ClaimedMu}})
	})
	if err != nil {
		return Harvest{}, err
	}
	claims, err := s.listClaims(ctx, "c.field_id = ? AND c.status = ?", fieldID, ClaimPlaced)
	if err != nil {
		return h, err
	}
	for _, c := range claims {
		switch market.Status(c.OrderStatus) {
		case market.StatusPaid:
			if _, err := s.market.Ship(ctx, p, c.OrderID, "HV-"+c.Certificate); err != nil {
				return h, err
			}
			h.Shipped++
		case market.StatusShipped, market.StatusDelivered, market.StatusSettled:
			// shipped before a crash; record it below
		default:
			h.Unpaid++
			continue
		}
		if err := s.db.InTx(ctx, func(tx *db.Tx) error {
			now := s.now()
			_, err := tx.ExecContext(ctx, "UPDATE farms_claims SET status = ?, shipped_at = ? WHERE id = ? AND status = ?", ClaimShipped, db.FormatTime(now), c.ID, ClaimPlaced)
			if err != nil {
				return internal(err)
			}
			return events.Append(ctx, tx, now, events.Event{Type: "farms.claim.shipped", Subject: c.ID, CountyCode: h.Field.CountyCode,
				Payload: map[string]any{"coop_id": h.Field.CoopID, "field_id": c.FieldID, "mu": c.Mu, "grams": int64(c.Share), "order_id": c.OrderID}})
		}); err != nil {
			return h, err
		}
	}
	return h, nil
}

// Update is news from a field (a note, optionally a photo) that its claimers see.
type Update struct {
	ID        string
	FieldID   string
	Note      string
	HasPhoto  bool
	PhotoType string
	photoPath string
	CreatedAt time.Time
}

// AddUpdate posts a field update with an optional photo (JPEG, PNG or WebP, sniffed
// from content, at most 5 MB); claimers see it on their claims page.
func (s *Service) AddUpdate(ctx context.Context, p fishpond.Principal, fieldID, note string, photo io.Reader) (Update, error) {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > 500 {
		return Update{}, fishpond.Invalid("动态有误 invalid update", map[string]string{"note": "必填，最多500字 required, at most 500 characters"})
	}
	fl, err := s.Field(ctx, fieldID)
	if err != nil {
		return Update{}, err
	}
	if _, err := managedCoop(ctx, s.db.Read(), p, fl.CoopID, false); err != nil {
		return Update{}, err
	}
	u := Update{ID: newID(), FieldID: fl.ID, Note: note}
	if photo != nil {
		b, ct, err := market.CheckPhoto(photo)
		if err != nil {
			return Update{}, err
		}
		sum := sha256.Sum256(b)
		name := hex.EncodeToString(sum[:])
		u.photoPath = filepath.Join("fields", name[:2], name)
		u.PhotoType, u.HasPhoto = ct, true
		if err := writeFile(filepath.Join(s.cfg.FileDir, u.photoPath), b); err != nil {
			return Update{}, fishpond.Internal(err)
		}
	}
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.now()
		u.CreatedAt = now
		if _, err := tx.ExecContext(ctx, "INSERT INTO farms_updates (id, field_id, note, photo_path, photo_type, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			u.ID, u.FieldID, u.Note, u.photoPath, u.PhotoType, db.FormatTime(now)); err != nil {
			return internal(err)
		}
		return events.Append(ctx, tx, now, events.Event{Type: "farms.field.updated", Subject: u.ID, CountyCode: fl.CountyCode,
			Payload: map[string]any{"field_id": fl.ID, "photo": u.HasPhoto}})
	})
	if err != nil {
		return Update{}, err
	}
	return u, nil
}

// Updates lists a field's updates, newest first; public like the field.
func (s *Service) Updates(ctx context.Context, fieldID string, limit int) ([]Update, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.Read().QueryContext(ctx, "SELECT id, field_id, note, photo_path, photo_type, created_at FROM farms_updates WHERE field_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", fieldID, limit)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []Update
	for rows.Next() {
		var u Update
		var at string
		if err := rows.Scan(&u.ID, &u.FieldID, &u.Note, &u.photoPath, &u.PhotoType, &at); err != nil {
			return nil, internal(err)
		}
		u.HasPhoto, u.CreatedAt = u.photoPath != "", db.MustTime(at)
		out = append(out, u)
	}
	return out, internal(rows.Err())
}

// UpdatePhoto returns the stored photo of an update (its path and content type).
func (s *Service) UpdatePhoto(ctx context.Context, updateID string) (string, string, error) {
	var path, ct string
	err := s.db.Read().QueryRowContext(ctx, "SELECT photo_path, photo_type FROM farms_updates WHERE id = ?", updateID).Scan(&path, &ct)
	if err != nil || path == "" {
		return "", "", notFound("没有该图片 no such photo")
	}
	return filepath.Join(s.cfg.FileDir, path), ct, nil
}
