// Package configfiletest checks a program's example configuration file
// against the Go struct the program decodes it into, so that a field added
// to the struct cannot go undocumented in the example, nor a field of the
// example outlive the struct.
package configfiletest
