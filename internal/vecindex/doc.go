// Package vecindex is an in-memory nearest-neighbour index over unit vectors
// of fixed dimensions, built to sit next to chromem-go and answer its
// queries faster at 100k to millions of vectors.
//
// The index keeps a reference to each caller's []float32 (the very slice
// chromem-go stores, so no second float32 copy) plus an int8 code per
// vector, quantised with one scale per vector. An approximate search scans
// the codes with every core (AVX2 on amd64, pure Go elsewhere or with the
// purego build tag), keeps the best candidates per core, and re-ranks them
// exactly against the float32 vectors. An exact search scans the float32
// vectors in parallel. Scores are cosine similarities (dot products of unit
// vectors).
package vecindex
