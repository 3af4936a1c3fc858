package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/internal/db"
	"fishpond/market"
	"fishpond/payment"
)

// applyPayment marks an order paid when the wallet's verified notification arrives.
// An order that can no longer be paid (expired or cancelled while the buyer was at
// the cashier) is refunded at once instead of leaving the buyer's money taken.
func (s *Server) applyPayment(ctx context.Context, n payment.Notification) error {
	_, err := s.Market.MarkPaid(ctx, n.OrderID, n.Provider, n.TradeNo, n.Amount)
	if fishpond.Code(err) != fishpond.EConflict {
		return err
	}
	o, oerr := s.Market.Order(ctx, fishpond.System, n.OrderID)
	if oerr != nil || (o.Status != market.StatusExpired && o.Status != market.StatusCancelled) {
		return err
	}
	if _, rerr := s.Payments.Refund(ctx, n.OrderID, "unpayable-"+n.TradeNo, n.Amount); rerr != nil {
		return rerr
	}
	s.Log.Warn("payment for an expired or cancelled order refunded", "order", n.OrderID)
	return nil
}

// applyPaymentTx marks the order paid in the transaction that records the verified
// notification; when it fails (the order expired or was cancelled meanwhile),
// applyPayment runs afterwards and refunds.
func (s *Server) applyPaymentTx(ctx context.Context, tx *db.Tx, n payment.Notification) error {
	_, err := s.Market.MarkPaidTx(ctx, tx, n.OrderID, n.Provider, n.TradeNo, n.Amount)
	return err
}

func paymentAnswer(err error) string { return payment.Answer(err) }

func (s *Server) productPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	p, err := s.Market.Product(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	sh, err := s.Market.Shop(r.Context(), p.ShopID)
	if err != nil {
		return err
	}
	c, err := s.Registry.County(r.Context(), p.OriginCounty)
	if err != nil {
		return err
	}
	photos, err := s.Market.Photos(r.Context(), p.ID)
	if err != nil {
		return err
	}
	inChannel, err := s.Market.InChannel(r.Context(), p.ID)
	if err != nil {
		return err
	}
	inspections, err := s.Market.ProductInspections(r.Context(), p.ID)
	if err != nil {
		return err
	}
	code, err := s.Market.TraceCode(r.Context(), p.ID)
	if err != nil {
		return err
	}
	// A seller of the shop may apply to the channel; the market checks the right.
	canApply := false
	if u.ID != "" && !inChannel {
		if shops, err := s.Market.SellerShops(r.Context(), u.Principal()); err == nil {
			for _, x := range shops {
				canApply = canApply || x.ID == sh.ID
			}
		}
	}
	flashes, err := s.Market.FlashSales(r.Context(), p.ID, time.Now())
	if err != nil {
		return err
	}
	var active *market.FlashSale
	for i := range flashes {
		if flashes[i].Active(time.Now()) && flashes[i].Sold < flashes[i].Quantity {
			active = &flashes[i]
			break
		}
	}
	v := s.view(r, "product")
	v.Title = p.Name
	v.Data = map[string]any{"P": p, "Shop": sh, "County": c, "Photos": photos, "CanBuy": u.ID != "", "InChannel": inChannel,
		"Inspections": inspections, "TraceCode": code, "CanApply": canApply, "Flash": active}
	s.render(w, r, http.StatusOK, "product", v)
	return nil
}

func (s *Server) shopPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	sh, err := s.Market.Shop(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	ps, err := s.Market.ShopProducts(r.Context(), sh.ID)
	if err != nil {
		return err
	}
	c, err := s.Registry.County(r.Context(), sh.CountyCode)
	if err != nil {
		return err
	}
	v := s.view(r, "shop")
	v.Title = sh.Name
	v.Data = map[string]any{"Shop": sh, "Products": ps, "County": c}
	s.render(w, r, http.StatusOK, "shop", v)
	return nil
}

func (s *Server) photoFile(w http.ResponseWriter, r *http.Request) {
	photos, err := s.Market.Photos(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	for _, ph := range photos {
		if ph.ID == r.PathValue("photo") {
			f, err := s.Market.PhotoFile(ph)
			if err != nil {
				s.apiError(w, r, err)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", ph.ContentType)
			w.Header().Set("Cache-Control", "public, max-age=86400")
			http.ServeContent(w, r, "", time.Time{}, f)
			return
		}
	}
	s.apiError(w, r, errNoRoute)
}

func (s *Server) cartAdd(w http.ResponseWriter, r *http.Request, u access.User) error {
	qty, err := strconv.ParseInt(r.FormValue("qty"), 10, 64)
	if err != nil || qty < 0 {
		return fishpond.Invalid("bad quantity / 数量有误", map[string]string{"qty": "a whole number / 请输入整数"})
	}
	if err := s.Market.SetCartItem(r.Context(), u.Principal(), r.FormValue("product"), r.FormValue("flash"), qty); err != nil {
		return err
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
	return nil
}

func (s *Server) cartPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	return s.renderCart(w, r, u, http.StatusOK, nil, nil)
}

type cartLine struct {
	Item    market.CartItem
	Product market.Product
	Price   fishpond.Money // the flash-sale price for a flash line
	Amount  fishpond.Money
}

func (s *Server) renderCart(w http.ResponseWriter, r *http.Request, u access.User, status int, formErr *fishpond.Error, form map[string]string) error {
	items, err := s.Market.Cart(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	var lines []cartLine
	var total fishpond.Money
	for _, it := range items {
		p, err := s.Market.Product(r.Context(), it.ProductID)
		if err != nil {
			return err
		}
		price := p.Price
		if it.FlashID != "" {
			f, err := s.Market.FlashSale(r.Context(), it.FlashID)
			if err != nil {
				return err
			}
			price = f.Price
		}
		amt := price * fishpond.Money(it.Qty)
		total += amt
		lines = append(lines, cartLine{it, p, price, amt})
	}
	addrs, err := s.Market.Addresses(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	ps, err := s.Registry.Provinces(r.Context())
	if err != nil {
		return err
	}
	v := s.view(r, "cart")
	v.Title = translate(v.Lang, "Cart")
	v.Data = map[string]any{"Lines": lines, "Total": total, "Addresses": addrs, "Provinces": ps, "Error": formErr, "Form": form,
		"Key": fmt.Sprintf("cart-%s-%d", u.ID, time.Now().UnixNano())}
	s.render(w, r, status, "cart", v)
	return nil
}

func (s *Server) addressSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	form := map[string]string{"name": r.FormValue("name"), "phone": r.FormValue("phone"), "county": r.FormValue("county"), "detail": r.FormValue("detail")}
	county := strings.TrimSpace(form["county"])
	prov := ""
	if len(county) >= 2 {
		prov = county[:2]
	}
	_, err := s.Market.AddAddress(r.Context(), u.Principal(), market.AddressInput{Name: form["name"], Phone: form["phone"], ProvinceCode: prov, CountyCode: county, Detail: form["detail"]})
	if err != nil {
		e := asError(err)
		return s.renderCart(w, r, u, statusOf[e.Code], e, form)
	}
	http.Redirect(w, r, "/cart", http.StatusSeeOther)
	return nil
}

// checkoutSubmit turns the cart into orders (one per shop) and sends the buyer to
// the wallet's cashier for a single order, or to the order list for several.
func (s *Server) checkoutSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	orders, err := s.Market.CheckoutCart(r.Context(), u.Principal(), r.FormValue("key"), r.FormValue("address"))
	if err != nil {
		e := asError(err)
		return s.renderCart(w, r, u, statusOf[e.Code], e, nil)
	}
	if len(orders) == 1 {
		url, err := s.payOrder(r, u, orders[0].ID)
		if err != nil {
			return err
		}
		http.Redirect(w, r, url, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/orders", http.StatusSeeOther)
	return nil
}

func (s *Server) ordersPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	os, err := s.Market.BuyerOrders(r.Context(), u.Principal(), 100)
	if err != nil {
		return err
	}
	v := s.view(r, "orders")
	v.Title = translate(v.Lang, "My orders")
	v.Data = map[string]any{"Orders": os}
	s.render(w, r, http.StatusOK, "orders", v)
	return nil
}

func (s *Server) orderPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	o, err := s.Market.Order(r.Context(), u.Principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, l := range o.Lines {
		if p, err := s.Market.Product(r.Context(), l.ProductID); err == nil {
			names[l.ProductID] = p.Name
		}
	}
	var parts []market.Part
	if o.Status == market.StatusSettled {
		parts, _ = s.Market.SettlementParts(r.Context(), u.Principal(), o.ID)
	}
	// A tracking number links to Fishpond's tracking only when our logistics
	// carries the parcel; a seller's own carrier number is shown as text.
	tracked := false
	if s.Logistics != nil && o.TrackingNo != "" {
		_, err := s.Logistics.Track(r.Context(), o.TrackingNo)
		tracked = err == nil
	}
	v := s.view(r, "order")
	v.Title = translate(v.Lang, "Order")
	v.Data = map[string]any{"O": o, "Names": names, "IsBuyer": o.BuyerID == u.ID, "Parts": parts, "Tracked": tracked,
		"Key": fmt.Sprintf("refund-%s-%d", o.ID, time.Now().UnixNano())}
	s.render(w, r, http.StatusOK, "order", v)
	return nil
}

func (s *Server) orderPaySubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	url, err := s.payOrder(r, u, r.PathValue("id"))
	if err != nil {
		return err
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
	return nil
}

func (s *Server) orderActionSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "cancel":
		_, err = s.Market.Cancel(r.Context(), u.Principal(), id)
	case "ship":
		_, err = s.Market.Ship(r.Context(), u.Principal(), id, r.FormValue("tracking_no"))
	case "received":
		_, err = s.confirmDelivery(r, u, id)
	case "refund":
		amount, perr := fishpond.ParseMoney(r.FormValue("amount"))
		if perr != nil {
			return fishpond.Invalid("bad amount / 金额有误", map[string]string{"amount": "yuan with at most two decimals / 金额（元），最多两位小数"})
		}
		_, err = s.refund(r, u, id, amount, r.FormValue("reason"), r.FormValue("key"))
	default:
		return errNoRoute
	}
	if err != nil {
		return err
	}
	back := "/orders/" + id
	if r.FormValue("back") == "seller" {
		back = "/seller"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// payReturn is where the wallet sends the buyer back; the notification, not this
// redirect, is what marks the order paid.
func (s *Server) payReturn(w http.ResponseWriter, r *http.Request, u access.User) error {
	id := r.URL.Query().Get("out_trade_no")
	if id == "" {
		http.Redirect(w, r, "/orders", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/orders/"+id, http.StatusSeeOther)
	return nil
}

func (s *Server) sellerPage(w http.ResponseWriter, r *http.Request, u access.User) error {
	shops, err := s.Market.SellerShops(r.Context(), u.Principal())
	if err != nil {
		return err
	}
	type shopView struct {
		Shop     market.Shop
		Products []market.Product
		Orders   []market.Order
		Sales    fishpond.Money
		ToShip   int
	}
	var views []shopView
	for _, sh := range shops {
		ps, err := s.Market.ShopProducts(r.Context(), sh.ID)
		if err != nil {
			return err
		}
		os, err := s.Market.ShopOrders(r.Context(), u.Principal(), sh.ID, 100)
		if err != nil {
			return err
		}
		sv := shopView{Shop: sh, Products: ps, Orders: os}
		for _, o := range os {
			if o.Status == market.StatusPaid {
				sv.ToShip++
			}
			if o.Status.Refundable() {
				sv.Sales += o.Total - o.Refunded
			}
		}
		views = append(views, sv)
	}
	v := s.view(r, "seller")
	v.Title = translate(v.Lang, "Seller dashboard")
	v.Data = map[string]any{"Shops": views, "Key": fmt.Sprintf("refund-%d", time.Now().UnixNano())}
	s.render(w, r, http.StatusOK, "seller", v)
	return nil
}
