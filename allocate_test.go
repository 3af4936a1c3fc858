package fishpond

import "testing"

func TestAllocate(t *testing.T) {
	for _, c := range []struct {
		total   int64
		weights []int64
		want    []int64
	}{
		{101, []int64{6000, 4000}, []int64{61, 40}}, // 60.6 / 40.4 → the larger fraction gets the fen
		{1, []int64{1, 1}, []int64{1, 0}},           // tie → earlier index
		{0, []int64{3, 7}, []int64{0, 0}},
		{10, []int64{1, 1, 1}, []int64{4, 3, 3}},
	} {
		got := Allocate(c.total, c.weights)
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("Allocate(%d, %v) = %v, want %v", c.total, c.weights, got, c.want)
			}
		}
	}
}
