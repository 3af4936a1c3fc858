package web

import (
	"net/http"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/market"
)

type productJSON struct {
	ID            string `json:"id"`
	ShopID        string `json:"shop_id"`
	Name          string `json:"name"`
	Category      string `json:"category"`
	Unit          string `json:"unit"`
	PriceFen      int64  `json:"price_fen"`
	Stock         int64  `json:"stock"`
	Sold          int64  `json:"sold"`
	OriginCounty  string `json:"origin_county"`
	BatchCode     string `json:"batch_code"`
	HarvestDate   string `json:"harvest_date,omitempty"`
	PerBuyerLimit int64  `json:"per_buyer_limit,omitempty"`
	PledgeFen     int64  `json:"pledge_fen,omitempty"`
	PledgeFund    string `json:"pledge_fund,omitempty"`
	Poverty       bool   `json:"poverty_alleviation"`
}

func toProduct(p market.Product) productJSON {
	return productJSON{p.ID, p.ShopID, p.Name, p.Category, p.Unit, int64(p.Price), p.Stock, p.Sold, p.OriginCounty, p.BatchCode, p.HarvestDate,
		p.PerBuyerLimit, int64(p.Pledge), p.PledgeFund, p.Poverty}
}

type orderLineJSON struct {
	ProductID    string `json:"product_id"`
	FlashID      string `json:"flash_id,omitempty"`
	Qty          int64  `json:"qty"`
	UnitPriceFen int64  `json:"unit_price_fen,omitempty"`
	PledgeFen    int64  `json:"pledge_fen,omitempty"`
}

type orderJSON struct {
	ID          string          `json:"id"`
	ShopID      string          `json:"shop_id"`
	Status      string          `json:"status"`
	TotalFen    int64           `json:"total_fen"`
	RefundedFen int64           `json:"refunded_fen"`
	Lines       []orderLineJSON `json:"lines"`
	ShipName    string          `json:"ship_name"`
	ShipPhone   string          `json:"ship_phone"`
	ShipCounty  string          `json:"ship_county"`
	ShipDetail  string          `json:"ship_detail"`
	PlacedAt    time.Time       `json:"placed_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
	TrackingNo  string          `json:"tracking_no,omitempty"`
	Replayed    bool            `json:"replayed,omitempty"`
}

func toOrder(o market.Order) orderJSON {
	out := orderJSON{ID: o.ID, ShopID: o.ShopID, Status: string(o.Status), TotalFen: int64(o.Total), RefundedFen: int64(o.Refunded),
		ShipName: o.ShipName, ShipPhone: o.ShipPhone, ShipCounty: o.ShipCounty, ShipDetail: o.ShipDetail, PlacedAt: o.PlacedAt,
		ExpiresAt: o.ExpiresAt, TrackingNo: o.TrackingNo, Replayed: o.Replayed}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, orderLineJSON{l.ProductID, l.FlashID, l.Qty, int64(l.UnitPrice), int64(l.Pledge)})
	}
	return out
}

type searchHitJSON struct {
	productJSON
	ShopName      string   `json:"shop_name"`
	CountyName    string   `json:"county_name"`
	ProvinceName  string   `json:"province_name"`
	PovertyCounty bool     `json:"poverty_county"`
	InChannel     bool     `json:"in_channel"`
	Brands        []string `json:"brands,omitempty"`
}

// apiProducts searches products (Chinese full text and filters); without a query
// it lists them.
func (s *Server) apiProducts(w http.ResponseWriter, r *http.Request, u access.User) error {
	sq, err := searchQuery(r)
	if err != nil {
		return err
	}
	page, err := s.Market.Search(r.Context(), sq)
	if err != nil {
		return err
	}
	out := make([]searchHitJSON, 0, len(page.Hits))
	for _, h := range page.Hits {
		out = append(out, searchHitJSON{toProduct(h.Product), h.ShopName, h.CountyName, h.ProvinceName, h.PovertyCounty, h.InChannel, h.Brands})
	}
	writeJSON(w, http.StatusOK, listPage[searchHitJSON]{Items: out, NextCursor: page.Next})
	return nil
}

func (s *Server) apiChannelCoverage(w http.ResponseWriter, r *http.Request, u access.User) error {
	c, err := s.Market.ChannelCoverage(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"provinces": c.Provinces, "counties": c.Counties, "poverty_counties": c.PovertyCounties,
		"products": c.Products, "shops": c.Shops, "households": c.Households})
	return nil
}

func (s *Server) apiOrigin(w http.ResponseWriter, r *http.Request, u access.User) error {
	o, err := s.Market.Origin(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	brands := []map[string]any{}
	for _, b := range o.Brands {
		brands = append(brands, map[string]any{"brand_id": b.Brand.ID, "brand": b.Brand.Name, "inspected_on": b.Inspection.Date, "passed": b.Inspection.Passed})
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": o.Code, "product_id": o.ProductID, "product": o.ProductName, "batch_code": o.BatchCode,
		"harvest_date": o.HarvestDate, "province": o.ProvinceName, "county_code": o.CountyCode, "county": o.CountyName, "poverty_county": o.PovertyCounty,
		"village": o.VillageName, "shop": o.ShopName, "producer": o.Producer, "households": o.Households, "in_channel": o.InChannel, "brands": brands})
	return nil
}

func (s *Server) apiProduct(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Market.Product(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toProduct(p))
	return nil
}

type addressJSON struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	ProvinceCode string `json:"province_code"`
	CountyCode   string `json:"county_code"`
	Detail       string `json:"detail"`
}

func (s *Server) apiAddresses(w http.ResponseWriter, r *http.Request, u access.User) error {
	as, err := s.Market.Addresses(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	out := make([]addressJSON, 0, len(as))
	for _, a := range as {
		out = append(out, addressJSON{a.ID, a.Name, a.Phone, a.ProvinceCode, a.CountyCode, a.Detail})
	}
	writeJSON(w, http.StatusOK, listPage[addressJSON]{Items: out})
	return nil
}

func (s *Server) apiAddAddress(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in addressJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a, err := s.Market.AddAddress(r.Context(), u.Principal(), market.AddressInput{Name: in.Name, Phone: in.Phone, ProvinceCode: in.ProvinceCode, CountyCode: in.CountyCode, Detail: in.Detail})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, addressJSON{a.ID, a.Name, a.Phone, a.ProvinceCode, a.CountyCode, a.Detail})
	return nil
}

// apiPlaceOrder places an order; the Idempotency-Key header makes a retried
// checkout return the first order instead of buying twice.
func (s *Server) apiPlaceOrder(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AddressID string          `json:"address_id"`
		Lines     []orderLineJSON `json:"lines"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	req := market.OrderRequest{IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")), AddressID: in.AddressID}
	if req.IdempotencyKey == "" {
		return fishpond.Invalid("missing Idempotency-Key header", map[string]string{"Idempotency-Key": "required: a unique key per checkout, reused on retry / 必填：每次下单一个唯一键，重试时复用"})
	}
	for _, l := range in.Lines {
		req.Lines = append(req.Lines, market.LineRequest{ProductID: l.ProductID, FlashID: l.FlashID, Qty: l.Qty})
	}
	o, err := s.Market.PlaceOrder(r.Context(), u.Principal(), req)
	if err != nil {
		return err
	}
	writeCreated(w, o.Replayed, toOrder(o))
	return nil
}

func (s *Server) apiOrders(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	os, err := s.Market.BuyerOrders(r.Context(), u.Principal(), limit)
	if err != nil {
		return err
	}
	out := make([]orderJSON, 0, len(os))
	for _, o := range os {
		out = append(out, toOrder(o))
	}
	writeJSON(w, http.StatusOK, listPage[orderJSON]{Items: out})
	return nil
}

// apiOrder answers one order. With ?wait=DURATION (e.g. 10s, at most 30s) an order
// still awaiting payment is answered when its status changes — the wallet's
// notification has been applied — or when the wait ends, so that a shop app's
// result page makes one request instead of polling.
func (s *Server) apiOrder(w http.ResponseWriter, r *http.Request, u access.User) error {
	var o market.Order
	var err error
	if v := r.URL.Query().Get("wait"); v != "" {
		d, perr := time.ParseDuration(v)
		if perr != nil || d < 0 || d > market.MaxOrderWait {
			return fishpond.Invalid("wait 有误 invalid wait", map[string]string{"wait": "时长，如 10s，最多 30s a duration such as 10s, at most 30s"})
		}
		o, err = s.Market.WaitOrder(r.Context(), u.Principal(), r.PathValue("id"), market.StatusPlaced, d)
	} else {
		o, err = s.Market.Order(r.Context(), u.Principal(), r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOrder(o))
	return nil
}

// payOrder starts a payment with the wallet for an order of the caller and returns
// the cashier URL the buyer is sent to.
func (s *Server) payOrder(r *http.Request, u access.User, id string) (string, error) {
	o, err := s.Market.Order(r.Context(), u.Principal(), id)
	if err != nil {
		return "", err
	}
	if o.BuyerID != u.ID {
		return "", fishpond.Errorf(fishpond.ENotFound, "没有该订单 no such order")
	}
	if o.Status != market.StatusPlaced {
		return "", fishpond.Errorf(fishpond.EConflict, "订单状态为%s，无需支付 / the order is %s and cannot be paid", o.Status, o.Status)
	}
	return s.Payments.Create(r.Context(), o.ID, o.Total, "鱼塘订单 Fishpond order "+o.ID[len(o.ID)-8:])
}

func (s *Server) apiPayOrder(w http.ResponseWriter, r *http.Request, u access.User) error {
	url, err := s.payOrder(r, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"redirect_url": url})
	return nil
}

func (s *Server) apiShipOrder(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		TrackingNo string `json:"tracking_no"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o, err := s.Market.Ship(r.Context(), u.Principal(), r.PathValue("id"), in.TrackingNo)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOrder(o))
	return nil
}

// confirmDelivery records the buyer's confirmation of receipt and settles the order
// at once: the money reaches the producers' income when the goods reach the buyer.
func (s *Server) confirmDelivery(r *http.Request, u access.User, id string) (market.Order, error) {
	if _, err := s.Market.MarkDelivered(r.Context(), u.Principal(), id); err != nil {
		return market.Order{}, err
	}
	return s.Market.Settle(r.Context(), fishpond.System, id)
}

func (s *Server) apiConfirmDelivery(w http.ResponseWriter, r *http.Request, u access.User) error {
	o, err := s.confirmDelivery(r, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toOrder(o))
	return nil
}

// refund books the refund in the market and the ledger, then asks the wallet to
// return the money (idempotent by the same key on both sides).
func (s *Server) refund(r *http.Request, u access.User, id string, amount fishpond.Money, reason, key string) (market.Refund, error) {
	ref, err := s.Market.Refund(r.Context(), u.Principal(), market.RefundRequest{OrderID: id, Amount: amount, Reason: reason, IdempotencyKey: key})
	if err != nil {
		return ref, err
	}
	if _, err := s.Payments.Refund(r.Context(), id, ref.ID, amount); err != nil {
		s.Log.Error("wallet refund failed after the market refund; retry it", "order", id, "refund", ref.ID, "err", err)
		return ref, err
	}
	return ref, nil
}

func (s *Server) apiRefund(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		AmountFen int64  `json:"amount_fen"`
		Reason    string `json:"reason"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return fishpond.Invalid("missing Idempotency-Key header", map[string]string{"Idempotency-Key": "required / 必填"})
	}
	ref, err := s.refund(r, u, r.PathValue("id"), fishpond.Money(in.AmountFen), in.Reason, key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"refund_id": ref.ID, "amount_fen": int64(ref.Amount), "after_settlement": ref.AfterSettlement, "order": toOrder(ref.Order)})
	return nil
}

// payNotify receives the wallet's signed asynchronous notification. It needs no
// login (the signature is the authentication) and answers in the wallet's words.
func (s *Server) payNotify(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		w.Write([]byte("failure"))
		return
	}
	_, err := s.Payments.HandleNotifyTx(r.Context(), r.PostForm, s.applyPaymentTx, s.applyPayment)
	if err != nil && fishpond.Code(err) == fishpond.EInternal {
		s.Log.Error("payment notification", "request_id", requestID(r), "err", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(paymentAnswer(err)))
}
