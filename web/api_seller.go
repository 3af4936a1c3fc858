package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/market"
)

type shopJSON struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	OwnerKind     string `json:"owner_kind"`
	OwnerID       string `json:"owner_id"`
	CountyCode    string `json:"county_code"`
	Poverty       bool   `json:"poverty_alleviation"`
	PovertyReason string `json:"poverty_reason"`
}

func toShop(sh market.Shop) shopJSON {
	return shopJSON{sh.ID, sh.Name, string(sh.OwnerKind), sh.OwnerID, sh.CountyCode, sh.Poverty, sh.PovertyReason}
}

func (s *Server) apiOpenShop(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Name      string `json:"name"`
		OwnerKind string `json:"owner_kind"`
		OwnerID   string `json:"owner_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sh, err := s.Market.OpenShop(r.Context(), u.Principal(), market.ShopInput{Name: in.Name, OwnerKind: market.OwnerKind(in.OwnerKind), OwnerID: in.OwnerID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toShop(sh))
	return nil
}

type productInputJSON struct {
	ShopID          string `json:"shop_id"`
	Name            string `json:"name"`
	Category        string `json:"category"`
	Unit            string `json:"unit"`
	PriceFen        int64  `json:"price_fen"`
	Stock           int64  `json:"stock"`
	OriginCounty    string `json:"origin_county"`
	OriginVillageID string `json:"origin_village_id"`
	BatchCode       string `json:"batch_code"`
	HarvestDate     string `json:"harvest_date"`
	CoopID          string `json:"coop_id"`
	Producers       []struct {
		HouseholdID string `json:"household_id"`
		Bp          int64  `json:"bp"`
	} `json:"producers"`
	PerBuyerLimit int64  `json:"per_buyer_limit"`
	PledgeFen     int64  `json:"pledge_fen"`
	PledgeFund    string `json:"pledge_fund"`
}

func (in productInputJSON) toInput() market.ProductInput {
	out := market.ProductInput{ShopID: in.ShopID, Name: in.Name, Category: in.Category, Unit: in.Unit, Price: fishpond.Money(in.PriceFen), Stock: in.Stock,
		OriginCounty: in.OriginCounty, OriginVillageID: in.OriginVillageID, BatchCode: in.BatchCode, HarvestDate: in.HarvestDate, CoopID: in.CoopID,
		PerBuyerLimit: in.PerBuyerLimit, Pledge: fishpond.Money(in.PledgeFen), PledgeFund: in.PledgeFund}
	for _, p := range in.Producers {
		out.Producers = append(out.Producers, market.Share{HouseholdID: p.HouseholdID, Bp: fishpond.Bp(p.Bp)})
	}
	return out
}

func (s *Server) apiAddProduct(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in productInputJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	p, err := s.Market.AddProduct(r.Context(), u.Principal(), in.toInput())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toProduct(p))
	return nil
}

// apiAddPhoto takes a product photo as multipart field "file" or as the raw body;
// the market checks its real type (JPEG, PNG, WebP) and size.
func (s *Server) apiAddPhoto(w http.ResponseWriter, r *http.Request, u access.User) error {
	r.Body = http.MaxBytesReader(w, r.Body, market.MaxPhotoBytes+1<<20)
	body := r.Body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		f, _, err := r.FormFile("file")
		if err != nil {
			return fishpond.Invalid("no photo uploaded / 未上传图片", map[string]string{"file": "choose a JPEG, PNG or WebP image / 请选择 JPEG、PNG 或 WebP 图片"})
		}
		defer f.Close()
		body = f
	}
	ph, err := s.Market.AddPhoto(r.Context(), u.Principal(), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": ph.ID, "content_type": ph.ContentType, "size": ph.Size,
		"url": "/products/" + ph.ProductID + "/photos/" + ph.ID})
	return nil
}

type flashJSON struct {
	ID            string    `json:"id,omitempty"`
	ProductID     string    `json:"product_id"`
	PriceFen      int64     `json:"price_fen"`
	Quantity      int64     `json:"quantity"`
	Sold          int64     `json:"sold,omitempty"`
	PerBuyerLimit int64     `json:"per_buyer_limit"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
}

func (s *Server) apiCreateFlashSale(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in flashJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	f, err := s.Market.CreateFlashSale(r.Context(), u.Principal(), market.FlashInput{ProductID: in.ProductID, Price: fishpond.Money(in.PriceFen),
		Quantity: in.Quantity, PerBuyerLimit: in.PerBuyerLimit, StartsAt: in.StartsAt, EndsAt: in.EndsAt})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, flashJSON{f.ID, f.ProductID, int64(f.Price), f.Quantity, f.Sold, f.PerBuyerLimit, f.StartsAt, f.EndsAt})
	return nil
}

// productSubmit is the seller dashboard's "new product" form: a household or
// cooperative product whose producers the market derives from the shop.
func (s *Server) productSubmit(w http.ResponseWriter, r *http.Request, u access.User) error {
	price, err := fishpond.ParseMoney(r.FormValue("price"))
	if err != nil {
		return fishpond.Invalid("bad price / 价格有误", map[string]string{"price": "yuan with at most two decimals / 金额（元），最多两位小数"})
	}
	stock, err := strconv.ParseInt(strings.TrimSpace(r.FormValue("stock")), 10, 64)
	if err != nil {
		return fishpond.Invalid("bad stock / 库存有误", map[string]string{"stock": "a whole number / 请输入整数"})
	}
	sh, err := s.Market.Shop(r.Context(), r.FormValue("shop"))
	if err != nil {
		return err
	}
	in := market.ProductInput{ShopID: sh.ID, Name: r.FormValue("name"), Category: r.FormValue("category"), Unit: r.FormValue("unit"), Price: price,
		Stock: stock, OriginCounty: sh.CountyCode, BatchCode: r.FormValue("batch"), HarvestDate: r.FormValue("harvest")}
	if sh.OwnerKind == market.OwnerCoop {
		in.CoopID = sh.OwnerID
	}
	p, err := s.Market.AddProduct(r.Context(), u.Principal(), in)
	if err != nil {
		return err
	}
	if f, _, ferr := r.FormFile("photo"); ferr == nil {
		defer f.Close()
		if _, err := s.Market.AddPhoto(r.Context(), u.Principal(), p.ID, f); err != nil {
			return err
		}
	}
	http.Redirect(w, r, "/products/"+p.ID, http.StatusSeeOther)
	return nil
}
