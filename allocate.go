package fishpond

import (
	"math/big"
	"sort"
)

// Allocate splits total over weights exactly (settlement by producers' shares,
// dividends by members' shares, refunds reversing them): each gets floor(total*w/sum), and
// the fen left over go one each to the largest fractional remainders, ties to the
// earlier index. Deterministic, never more than total, always exactly total.
func Allocate(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	var sum big.Int
	for _, w := range weights {
		sum.Add(&sum, big.NewInt(w))
	}
	if sum.Sign() == 0 || total == 0 {
		return out
	}
	rems := make([]*big.Int, len(weights))
	var given int64
	for i, w := range weights {
		var q, r big.Int
		q.QuoRem(new(big.Int).Mul(big.NewInt(total), big.NewInt(w)), &sum, &r)
		out[i] = q.Int64()
		rems[i] = &r
		given += out[i]
	}
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rems[idx[a]].Cmp(rems[idx[b]]) > 0 })
	for k := 0; given < total; k++ {
		out[idx[k%len(idx)]]++
		given++
	}
	return out
}
