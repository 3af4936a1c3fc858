package market

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fishpond"
	"fishpond/internal/db"
)

// ChannelLabel is the label approved products carry: the poverty-county channel
// 兴农扶贫 ("help farmers, relieve poverty").
const ChannelLabel = "兴农扶贫"

// The states of a channel application. Only pending applications can be reviewed;
// a rejected product may apply again.
const (
	ApplicationPending  = "pending"
	ApplicationApproved = "approved"
	ApplicationRejected = "rejected"
)

// ChannelApplication is a seller's request to list a product in the channel and
// its review, kept after review as the record of who decided what and why.
type ChannelApplication struct {
	ID          string
	ProductID   string
	ProductName string
	ShopID      string
	ShopName    string
	Applicant   string // user id
	Note        string
	Status      string
	Reviewer    string // user id, "" while pending
	Reason      string // the editor's reason for a rejection (optional on approval)
	AppliedAt   time.Time
	ReviewedAt  time.Time // zero while pending
}

// Coverage is how far the channel reaches, computed from approved products so
// the figures on the channel page cannot be typed in.
type Coverage struct {
	Provinces       int // provinces with at least one channel product
	Counties        int // origin counties of channel products
	PovertyCounties int // of those, national poverty counties
	Products        int // products carrying the label
	Shops           int
	Households      int // registered households producing channel products
}

// eligibleForChannel says whether the product may carry the label: the channel
// is for poverty-alleviation shops and poverty-county produce only.
func eligibleForChannel(ctx context.Context, q db.Querier, productID string) error {
	var shopPoverty, countyPoverty int
	err := q.QueryRowContext(ctx, `SELECT s.poverty, c.poverty FROM market_products p JOIN market_shops s ON s.id = p.shop_id
		JOIN counties c ON c.code = p.origin_county WHERE p.id = ?`, productID).Scan(&shopPoverty, &countyPoverty)
	if err != nil {
		return db.NotFound(err, "没有该商品 no such product")
	}
	if shopPoverty != 1 && countyPoverty != 1 {
		return fishpond.Invalid("该商品不符合兴农扶贫频道条件 the product is not eligible for the 兴农扶贫 channel", map[string]string{
			"product_id": "仅限扶贫店铺或国家级贫困县出产的商品 only products of poverty-alleviation shops or from national poverty counties"})
	}
	return nil
}

// ApplyToChannel asks the channel editors to list a product the principal sells.
// Ineligible products are refused at once, so a seller is not left waiting for a
// rejection the rules already decide.
func (s *Store) ApplyToChannel(ctx context.Context, p fishpond.Principal, productID, note string) (ChannelApplication, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 500 {
		return ChannelApplication{}, fishpond.Invalid("申请说明过长 note too long", map[string]string{"note": "最多500字 at most 500 characters"})
	}
	id := newID()
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var shopID string
		if err := tx.QueryRowContext(ctx, "SELECT shop_id FROM market_products WHERE id = ?", productID).Scan(&shopID); err != nil {
			return db.NotFound(err, "没有该商品 no such product")
		}
		if _, err := s.sellerShop(ctx, tx, p, shopID); err != nil {
			return notFound("没有该商品 no such product")
		}
		if err := eligibleForChannel(ctx, tx, productID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_channel_products WHERE product_id = ?", productID).Scan(&n); err != nil {
			return internal(err)
		}
		if n > 0 {
			return conflict("该商品已在兴农扶贫频道 the product is already in the channel")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO market_channel_applications (id, product_id, applicant, note, status, applied_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, productID, p.UserID, note, ApplicationPending, db.FormatTime(s.now()))
		if db.IsUniqueViolation(err) {
			return conflict("该商品已有待审核的申请 the product already has a pending application")
		}
		return internal(err)
	})
	if err != nil {
		return ChannelApplication{}, err
	}
	return s.ChannelApplication(ctx, id)
}

// isChannelEditor: admins, and users an admin named editor.
func isChannelEditor(ctx context.Context, q db.Querier, p fishpond.Principal) (bool, error) {
	if p.Role == fishpond.RoleAdmin {
		return true, nil
	}
	if p.UserID == "" {
		return false, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM market_channel_editors WHERE user_id = ?", p.UserID).Scan(&n); err != nil {
		return false, internal(err)
	}
	return n > 0, nil
}

// IsChannelEditor tells pages whether to show the review queue.
func (s *Store) IsChannelEditor(ctx context.Context, p fishpond.Principal) (bool, error) {
	return isChannelEditor(ctx, s.db.Read(), p)
}

// AddChannelEditor lets an admin name a reviewer who is not an admin, so that
// review can be staffed without handing out admin rights.
func (s *Store) AddChannelEditor(ctx context.Context, p fishpond.Principal, userID string) error {
	userID = strings.TrimSpace(userID)
	if p.Role != fishpond.RoleAdmin {
		return forbidden("仅管理员可任命频道编辑 only an admin names channel editors")
	}
	if userID == "" || len(userID) > 100 {
		return fishpond.Invalid("用户无效 invalid user", map[string]string{"user_id": "必填，最多100字符 required, at most 100 characters"})
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		// Already an editor: the outcome asked for holds.
		_, err := tx.ExecContext(ctx, "INSERT INTO market_channel_editors (user_id, added_by, added_at) VALUES (?, ?, ?) ON CONFLICT (user_id) DO NOTHING",
			userID, p.UserID, db.FormatTime(s.now()))
		return internal(err)
	})
}

// RemoveChannelEditor withdraws a reviewer's right; past reviews keep their name.
func (s *Store) RemoveChannelEditor(ctx context.Context, p fishpond.Principal, userID string) error {
	if p.Role != fishpond.RoleAdmin {
		return forbidden("仅管理员可任免频道编辑 only an admin removes channel editors")
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM market_channel_editors WHERE user_id = ?", userID)
		return internal(err)
	})
}

// ApproveChannel lists the product of a pending application in the channel. The
// eligibility rule is checked again (the shop or product may have changed since
// the application), and nobody approves their own application.
func (s *Store) ApproveChannel(ctx context.Context, p fishpond.Principal, applicationID, note string) (ChannelApplication, error) {
	return s.review(ctx, p, applicationID, true, note)
}

// RejectChannel refuses a pending application; the reason is required because
// the seller needs to know what to fix.
func (s *Store) RejectChannel(ctx context.Context, p fishpond.Principal, applicationID, reason string) (ChannelApplication, error) {
	return s.review(ctx, p, applicationID, false, reason)
}

func (s *Store) review(ctx context.Context, p fishpond.Principal, applicationID string, approve bool, reason string) (ChannelApplication, error) {
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n > 500 || (!approve && n < 2) {
		return ChannelApplication{}, fishpond.Invalid("审核理由无效 invalid reason", map[string]string{"reason": "驳回须说明理由，2到500字 a rejection needs a reason of 2–500 characters"})
	}
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		ok, err := isChannelEditor(ctx, tx, p)
		if err != nil {
			return err
		}
		if !ok {
			return forbidden("仅频道编辑可审核 only channel editors review applications")
		}
		var productID, applicant, status string
		err = tx.QueryRowContext(ctx, "SELECT product_id, applicant, status FROM market_channel_applications WHERE id = ?"+tx.ForUpdate(), applicationID).
			Scan(&productID, &applicant, &status)
		if err != nil {
			return db.NotFound(err, "没有该申请 no such application")
		}
		if status != ApplicationPending {
			return conflict("该申请已审核 the application has already been reviewed")
		}
		if applicant == p.UserID {
			return forbidden("不能审核自己的申请 you cannot review your own application")
		}
		newStatus := ApplicationRejected
		now := db.FormatTime(s.now())
		if approve {
			if err := eligibleForChannel(ctx, tx, productID); err != nil {
				return err
			}
			newStatus = ApplicationApproved
			if _, err := tx.ExecContext(ctx, "INSERT INTO market_channel_products (product_id, application_id, listed_at) VALUES (?, ?, ?)",
				productID, applicationID, now); err != nil {
				if db.IsUniqueViolation(err) {
					return conflict("该商品已在兴农扶贫频道 the product is already in the channel")
				}
				return internal(err)
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE market_channel_applications SET status = ?, reviewer = ?, reason = ?, reviewed_at = ? WHERE id = ? AND status = ?",
			newStatus, p.UserID, reason, now, applicationID, ApplicationPending)
		if err != nil {
			return internal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return conflict("该申请已审核 the application has already been reviewed")
		}
		return nil
	})
	if err != nil {
		return ChannelApplication{}, err
	}
	return s.ChannelApplication(ctx, applicationID)
}

const applicationColumns = `a.id, a.product_id, p.name, p.shop_id, sh.name, a.applicant, a.note, a.status, a.reviewer, a.reason, a.applied_at, a.reviewed_at
	FROM market_channel_applications a JOIN market_products p ON p.id = a.product_id JOIN market_shops sh ON sh.id = p.shop_id`

func scanApplication(row interface{ Scan(...any) error }) (ChannelApplication, error) {
	var a ChannelApplication
	var applied, reviewed string
	if err := row.Scan(&a.ID, &a.ProductID, &a.ProductName, &a.ShopID, &a.ShopName, &a.Applicant, &a.Note, &a.Status, &a.Reviewer, &a.Reason,
		&applied, &reviewed); err != nil {
		return a, err
	}
	a.AppliedAt, _ = db.ParseTime(applied)
	if reviewed != "" {
		a.ReviewedAt, _ = db.ParseTime(reviewed)
	}
	return a, nil
}

// ChannelApplication reads one application, for the pages that follow a review.
func (s *Store) ChannelApplication(ctx context.Context, id string) (ChannelApplication, error) {
	a, err := scanApplication(s.db.Read().QueryRowContext(ctx, "SELECT "+applicationColumns+" WHERE a.id = ?", id))
	if err != nil {
		return ChannelApplication{}, db.NotFound(err, "没有该申请 no such application")
	}
	return a, nil
}

// ChannelQueue lists pending applications oldest first: the editors' work list.
func (s *Store) ChannelQueue(ctx context.Context, p fishpond.Principal, limit int) ([]ChannelApplication, error) {
	q := s.db.Read()
	ok, err := isChannelEditor(ctx, q, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, forbidden("仅频道编辑可查看审核队列 only channel editors see the review queue")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return queryApplications(ctx, q, " WHERE a.status = ? ORDER BY a.applied_at, a.id LIMIT ?", ApplicationPending, limit)
}

// ProductChannelApplications lists a product's applications newest first, for
// its seller (to see a rejection's reason) and for editors.
func (s *Store) ProductChannelApplications(ctx context.Context, p fishpond.Principal, productID string) ([]ChannelApplication, error) {
	q := s.db.Read()
	var shopID string
	if err := q.QueryRowContext(ctx, "SELECT shop_id FROM market_products WHERE id = ?", productID).Scan(&shopID); err != nil {
		return nil, db.NotFound(err, "没有该商品 no such product")
	}
	editor, err := isChannelEditor(ctx, q, p)
	if err != nil {
		return nil, err
	}
	if !editor {
		if _, err := s.sellerShop(ctx, q, p, shopID); err != nil {
			return nil, notFound("没有该商品 no such product")
		}
	}
	return queryApplications(ctx, q, " WHERE a.product_id = ? ORDER BY a.applied_at DESC, a.id DESC", productID)
}

func queryApplications(ctx context.Context, q db.Querier, tail string, args ...any) ([]ChannelApplication, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+applicationColumns+tail, args...)
	if err != nil {
		return nil, internal(err)
	}
	defer rows.Close()
	var out []ChannelApplication
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, a)
	}
	return out, internal(rows.Err())
}

// InChannel says whether a product carries the 兴农扶贫 label, for product pages.
func (s *Store) InChannel(ctx context.Context, productID string) (bool, error) {
	var one int
	err := s.db.Read().QueryRowContext(ctx, "SELECT 1 FROM market_channel_products WHERE product_id = ?", productID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, internal(err)
}

// ChannelCoverage computes the channel's reach from the products listed in it.
func (s *Store) ChannelCoverage(ctx context.Context) (Coverage, error) {
	var c Coverage
	err := s.db.Read().QueryRowContext(ctx, `SELECT COUNT(DISTINCT c.province_code), COUNT(DISTINCT c.code),
		COUNT(DISTINCT CASE WHEN c.poverty = 1 THEN c.code END), COUNT(*), COUNT(DISTINCT p.shop_id),
		(SELECT COUNT(DISTINCT pp.household_id) FROM market_product_producers pp JOIN market_channel_products x ON x.product_id = pp.product_id)
		FROM market_channel_products cp JOIN market_products p ON p.id = cp.product_id JOIN counties c ON c.code = p.origin_county`).
		Scan(&c.Provinces, &c.Counties, &c.PovertyCounties, &c.Products, &c.Shops, &c.Households)
	return c, internal(err)
}
