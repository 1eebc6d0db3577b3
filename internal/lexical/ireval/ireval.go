// Package ireval computes retrieval metrics for known-item evaluation: each
// query has exactly one right answer, and a ranker returns IDs best first.
// It is independent of how the ranking is made, so the same evaluation can
// be run for lexical, semantic and hybrid retrieval.
package ireval

import "fmt"

// Case is one query and the ID of its one right answer.
type Case struct {
	Query string
	Want  string
}

// Result holds the metrics over a set of cases.
type Result struct {
	// N is the number of cases.
	N int
	// R1 is recall at 1: the share of cases whose right answer is ranked
	// first.
	R1 float64
	// MRR10 is the mean reciprocal rank of the right answer, counting 0
	// when it is not in the top 10.
	MRR10 float64
	// R10 is recall at 10.
	R10 float64
	// Misses lists the cases whose right answer is not ranked first, with
	// its rank (1-based; 0 when not in the top 10).
	Misses []Miss
}

// Miss is a case whose right answer was not ranked first.
type Miss struct {
	Case
	Rank int
	Got  string // the ID ranked first, "" if none
}

// String formats the headline metrics.
func (r Result) String() string {
	return fmt.Sprintf("n=%d R@1=%.4f MRR@10=%.4f R@10=%.4f", r.N, r.R1, r.MRR10, r.R10)
}

// Evaluate runs rank for every case and returns the metrics. rank returns
// IDs best first; only its first 10 are read.
func Evaluate(cases []Case, rank func(query string) []string) Result {
	res := Result{N: len(cases)}
	if len(cases) == 0 {
		return res
	}
	for _, c := range cases {
		got := rank(c.Query)
		pos := 0
		for i, id := range got {
			if i == 10 {
				break
			}
			if id == c.Want {
				pos = i + 1
				break
			}
		}
		if pos == 1 {
			res.R1++
		} else {
			top := ""
			if len(got) > 0 {
				top = got[0]
			}
			res.Misses = append(res.Misses, Miss{Case: c, Rank: pos, Got: top})
		}
		if pos > 0 {
			res.MRR10 += 1 / float64(pos)
			res.R10++
		}
	}
	n := float64(len(cases))
	res.R1 /= n
	res.MRR10 /= n
	res.R10 /= n
	return res
}
