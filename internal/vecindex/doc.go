// Package vecindex is an in-memory nearest-neighbour index over unit vectors
// of fixed dimensions, built to sit next to chromem-go and answer its
// queries faster at 100k to millions of vectors.
//
// The index keeps a reference to each caller's []float32 (the very slice
// chromem-go stores, so no second float32 copy) plus a code per vector:
// int8 by default (a quarter of the float32 memory) or 4-bit with
// WithBits(4) (an eighth), quantised with one scale per vector. An
// approximate search scans the codes with every core (AVX2 on amd64, pure
// Go elsewhere or with the purego build tag), keeps the best candidates per
// core, and re-ranks them exactly against the float32 vectors. An exact
// search scans the float32 vectors in parallel and equals brute force.
// Scores are cosine similarities (dot products of unit vectors), exact on
// both paths.
//
// The scan is memory-bound: per search it reads dims bytes per vector
// (8-bit) or dims/2 (4-bit), so at 1M vectors of 512 dimensions 512 or 256
// MB. BENCHMARKS.md has the figures against chromem-go's own query, and
// BitsFor the recommended code width for a given size.
//
// Because one search already uses every core, searches are admitted to
// scan a few at a time (WithMaxConcurrentSearches; by default one at a
// time with the default workers) and the others wait in FIFO order:
// under concurrent load each search then takes about as long as a lone
// one plus its wait, instead of every search slowing down together.
// SearchContext gives up waiting when its context ends.
package vecindex
