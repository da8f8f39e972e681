// Package clocktest provides a manually advanced clock and predictable
// identifiers for tests of code that takes a scheduler.Clock and a
// scheduler.IDGenerator.
package clocktest
