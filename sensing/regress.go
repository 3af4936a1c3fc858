package sensing

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// linear is an ordinary least-squares fit y = b0 + Σ bi·xi: simple enough that a
// forecast can be explained as a baseline plus one contribution per feature.
type linear struct {
	coef  []float64 // intercept first
	means []float64 // feature means of the training set
	sigma float64   // residual standard error
	n     int
}

var errTooFew = errors.New("too little history to fit")

func fitLinear(x [][]float64, y []float64) (linear, error) {
	n := len(y)
	if n == 0 {
		return linear{}, errTooFew
	}
	p := len(x[0]) + 1
	if n < p+2 {
		return linear{}, errTooFew
	}
	a := mat.NewDense(n, p, nil)
	means := make([]float64, p-1)
	for i, row := range x {
		a.Set(i, 0, 1)
		for j, v := range row {
			a.Set(i, j+1, v)
			means[j] += v / float64(n)
		}
	}
	var beta mat.VecDense
	if err := beta.SolveVec(a, mat.NewVecDense(n, y)); err != nil {
		return linear{}, err
	}
	l := linear{coef: make([]float64, p), means: means, n: n}
	for j := range p {
		l.coef[j] = beta.AtVec(j)
	}
	var rss float64
	for i, row := range x {
		e := y[i] - l.predict(row)
		rss += e * e
	}
	l.sigma = math.Sqrt(rss / float64(n-p))
	return l, nil
}

func (l linear) predict(x []float64) float64 {
	v := l.coef[0]
	for j, xv := range x {
		v += l.coef[j+1] * xv
	}
	return v
}

// z80 is the two-sided 80% normal quantile: forecasts show an 80% interval.
const z80 = 1.2816
