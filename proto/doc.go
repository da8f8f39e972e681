// Package proto holds Sandbarn's own protocol definitions, wire-compatible
// with Buildbarn's: runner/ (worker to runner) and remoteworker/ (worker to
// scheduler). The generated Go code is checked in; `make proto` regenerates
// it with the generator versions pinned in the Makefile.
package proto
