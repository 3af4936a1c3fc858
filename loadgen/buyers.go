package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"fishpond"
	"fishpond/access"
)

// BuyerPassword is the password of every bench buyer account, so that a person
// can log in as one (bench-buyer-00001) and look at what the bench bought.
const BuyerPassword = "fishpond-bench"

// BuyerName is the login name of the i-th bench buyer (0-based).
func BuyerName(i int) string { return fmt.Sprintf("bench-buyer-%05d", i+1) }

// Buyer is one virtual buyer: a consumer account with a bearer token and an address.
type Buyer struct {
	Name      string
	Token     string
	AddressID string
}

// ensureUsers creates the bench consumer accounts that do not exist yet, through
// access.CreateConsumers: one bcrypt hash for all (they share a password) instead
// of ≈ 60 ms of hashing per buyer, 20 minutes for 20,000.
func ensureUsers(ctx context.Context, acc *access.Service, n int) (int, error) {
	names := make([]string, n)
	for i := range names {
		names[i] = BuyerName(i)
	}
	created, err := acc.CreateConsumers(ctx, fishpond.System, names, "压测买家 ", BuyerPassword)
	if err != nil {
		return created, fmt.Errorf("bench users: %w", err)
	}
	return created, nil
}

// buyers makes n buyers ready to check out: accounts, a fresh bearer token each
// (through access.CreateToken, valid for a day), and a delivery address, added
// over the API on first use and reused by later runs.
func (b *bench) buyers(ctx context.Context, n int, provinceCode string) ([]Buyer, error) {
	created, err := ensureUsers(ctx, b.deps.Access, n)
	if err != nil {
		return nil, err
	}
	if created > 0 {
		b.logf("created %d bench buyer accounts (password %s)", created, BuyerPassword)
	}
	out := make([]Buyer, n)
	var failed atomic.Value
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(32, n)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil || ctx.Err() != nil {
					return
				}
				if err := b.buyer(ctx, i, provinceCode, &out[i]); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

func (b *bench) buyer(ctx context.Context, i int, provinceCode string, out *Buyer) error {
	name := BuyerName(i)
	tok, _, err := b.deps.Access.CreateToken(ctx, fishpond.System, name, "bench", 24*time.Hour)
	if err != nil {
		return fmt.Errorf("token for %s: %w", name, err)
	}
	*out = Buyer{Name: name, Token: tok}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if _, err := b.c.do(ctx, request{method: http.MethodGet, path: "/api/v1/addresses", token: tok, out: &list}); err != nil {
		return fmt.Errorf("addresses of %s: %w", name, err)
	}
	if len(list.Items) > 0 {
		out.AddressID = list.Items[0].ID
		return nil
	}
	body := fmt.Sprintf(`{"name":"压测买家%d","phone":"138%08d","province_code":%q,"county_code":%q,"detail":"压测路%d号"}`,
		i+1, i+1, provinceCode, benchCounty, i+1)
	var a struct {
		ID string `json:"id"`
	}
	if _, err := b.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/addresses", token: tok, body: []byte(body), out: &a}); err != nil {
		return fmt.Errorf("address of %s: %w", name, err)
	}
	out.AddressID = a.ID
	return nil
}
