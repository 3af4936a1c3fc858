package market

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"fishpond"
)

// Status is where an order is in its lifecycle. The happy path is placed → paid →
// shipped → delivered → settled; placed orders may be cancelled or expire; paid
// orders (through settled) may be refunded in part or in full.
type Status string

// The order statuses.
const (
	StatusPlaced    Status = "placed"
	StatusPaid      Status = "paid"
	StatusShipped   Status = "shipped"
	StatusDelivered Status = "delivered"
	StatusSettled   Status = "settled"
	StatusCancelled Status = "cancelled"
	StatusExpired   Status = "expired"
	StatusRefunded  Status = "refunded" // refunded in full
)

// Refundable reports whether money was received and can still be returned.
func (s Status) Refundable() bool {
	return s == StatusPaid || s == StatusShipped || s == StatusDelivered || s == StatusSettled
}

// Order is one buyer's purchase from one shop.
type Order struct {
	ID              string
	BuyerID         string
	ShopID          string
	Status          Status
	Total           fishpond.Money
	Refunded        fishpond.Money
	Lines           []Line
	AddressID       string
	ShipName        string
	ShipPhone       string // full for the buyer and admins, masked for everyone else
	ShipCounty      string
	ShipDetail      string
	PlacedAt        time.Time
	ExpiresAt       time.Time // unpaid orders expire then
	PaidAt          time.Time // zero until paid; likewise below
	ShippedAt       time.Time
	DeliveredAt     time.Time
	SettledAt       time.Time
	ClosedAt        time.Time // cancelled, expired or refunded in full
	Provider        string
	ProviderTradeNo string
	TrackingNo      string
	SettledAmount   fishpond.Money
	// Replayed is true when PlaceOrder found an earlier order with the same
	// idempotency key and content and returned it instead of placing a new one.
	Replayed bool
}

// Line is one product (optionally at a flash-sale price) in an order, with the
// price and pledge fixed when the order was placed.
type Line struct {
	ProductID  string
	FlashID    string
	Qty        int64
	UnitPrice  fishpond.Money
	Pledge     fishpond.Money // per item
	PledgeFund string
}

// LineRequest is one line a buyer asks for.
type LineRequest struct {
	ProductID string
	FlashID   string // "" for the regular price
	Qty       int64
}

// OrderRequest is what checkout sends. IdempotencyKey (the Idempotency-Key header)
// makes a retried checkout return the same order instead of buying twice.
type OrderRequest struct {
	IdempotencyKey string
	AddressID      string
	Lines          []LineRequest
}

// Limits on an order, so a single request cannot reserve absurd amounts.
const (
	MaxLines   = 50
	MaxLineQty = 10_000
	MaxTotal   = fishpond.Money(10_000_000_000) // 100 million yuan
)

// validate checks the request without the database and returns its content hash.
func (r *OrderRequest) validate() (string, error) {
	f := map[string]string{}
	if r.IdempotencyKey == "" || len(r.IdempotencyKey) > 100 {
		f["idempotency_key"] = "必填，最多100字节 required, at most 100 bytes"
	}
	if r.AddressID == "" {
		f["address_id"] = "请选择收货地址 choose a delivery address"
	}
	switch {
	case len(r.Lines) == 0:
		f["lines"] = "购物车为空 no items"
	case len(r.Lines) > MaxLines:
		f["lines"] = fmt.Sprintf("最多%d种商品 at most %d lines", MaxLines, MaxLines)
	}
	seen := map[string]int{}
	for i, l := range r.Lines {
		name := fmt.Sprintf("lines[%d]", i)
		if l.ProductID == "" {
			f[name+".product_id"] = "必填 required"
		}
		if l.Qty <= 0 || l.Qty > MaxLineQty {
			f[name+".qty"] = fmt.Sprintf("数量须在1到%d之间 quantity must be 1–%d", MaxLineQty, MaxLineQty)
		}
		k := l.ProductID + "\x00" + l.FlashID
		if j, dup := seen[k]; dup {
			f[name+".product_id"] = fmt.Sprintf("与第%d行重复 same as lines[%d]", j, j)
		}
		seen[k] = i
	}
	if len(f) > 0 {
		return "", fishpond.Invalid("订单有误 invalid order", f)
	}
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(r.AddressID)
	lines := slices.Clone(r.Lines)
	slices.SortFunc(lines, func(a, b LineRequest) int {
		return strings.Compare(a.ProductID+"\x00"+a.FlashID, b.ProductID+"\x00"+b.FlashID)
	})
	for _, l := range lines {
		put(l.ProductID)
		put(l.FlashID)
		binary.LittleEndian.PutUint64(n[:], uint64(l.Qty))
		h.Write(n[:])
	}
	r.Lines = lines // reserve in a fixed order: fewer lock waits and deadlocks on PostgreSQL
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// illegal is the error of a transition the order's status does not allow.
func illegal(o *Order, action string) error {
	return conflict("订单状态为%s，不能%s order is %s and cannot be %s", o.Status, action, o.Status, action)
}
