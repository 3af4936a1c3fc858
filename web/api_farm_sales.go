package web

import (
	"net/http"
	"time"

	"fishpond"
	"fishpond/access"
	"fishpond/farms"
)

// A cooperative's own sales (farms.RecordSale): the inflows a cooperative loan is
// repaid from. Kept apart from api_farms.go so the two capabilities' edits do not meet.
func init() {
	capabilityAPIs = append(capabilityAPIs, func(s *Server) []apiRoute {
		return []apiRoute{
			{"GET", "/api/v1/farms/{id}/sales", s.apiFarmSales},
			{"POST", "/api/v1/farms/{id}/sales", s.apiRecordFarmSale},
		}
	})
}

type farmSaleJSON struct {
	ID           string    `json:"id"`
	CoopID       string    `json:"coop_id"`
	Buyer        string    `json:"buyer"`
	Crop         string    `json:"crop"`
	WeightG      int64     `json:"weight_g"`
	UnitPriceFen int64     `json:"unit_price_fen"`
	AmountFen    int64     `json:"amount_fen"`
	TransferID   string    `json:"transfer_id"`
	SoldAt       time.Time `json:"sold_at"`
}

func toFarmSale(s farms.Sale) farmSaleJSON {
	return farmSaleJSON{s.ID, s.CoopID, s.Buyer, s.Crop, int64(s.Weight), int64(s.UnitPrice), int64(s.Amount), s.TransferID, s.SoldAt}
}

func (s *Server) apiRecordFarmSale(w http.ResponseWriter, r *http.Request, u access.User) error {
	var in struct {
		Buyer          string `json:"buyer"`
		Crop           string `json:"crop"`
		WeightG        int64  `json:"weight_g"`
		UnitPriceFen   int64  `json:"unit_price_fen"`
		IdempotencyKey string `json:"idempotency_key"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	sale, err := s.Farms.RecordSale(r.Context(), u.Principal(), r.PathValue("id"), farms.SaleInput{Buyer: in.Buyer, Crop: in.Crop,
		Weight: farms.Weight(in.WeightG), UnitPrice: fishpond.Money(in.UnitPriceFen), IdempotencyKey: in.IdempotencyKey})
	if err != nil {
		return err
	}
	writeCreated(w, sale.Replayed, toFarmSale(sale))
	return nil
}

func (s *Server) apiFarmSales(w http.ResponseWriter, r *http.Request, u access.User) error {
	limit, err := limitParam(r)
	if err != nil {
		return err
	}
	ss, err := s.Farms.Sales(r.Context(), u.Principal(), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	writeItems(w, ss, toFarmSale)
	return nil
}
