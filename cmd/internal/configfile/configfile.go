// Package configfile loads program configuration written in Jsonnet into a
// Go struct, strictly: a field the struct does not know is an error naming
// the field, so a typo never silently falls back to a default.
package configfile

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/go-jsonnet"
)

// Load evaluates the Jsonnet file at path and decodes it into out.
func Load(path string, out any) error {
	vm := jsonnet.MakeVM()
	js, err := vm.EvaluateFile(path)
	if err != nil {
		return fmt.Errorf("evaluate %s: %w", path, err)
	}
	return Decode(path, []byte(js), out)
}

// LoadSnippet evaluates Jsonnet source held in memory, for embedded
// defaults.
func LoadSnippet(name, src string, out any) error {
	vm := jsonnet.MakeVM()
	js, err := vm.EvaluateAnonymousSnippet(name, src)
	if err != nil {
		return fmt.Errorf("evaluate %s: %w", name, err)
	}
	return Decode(name, []byte(js), out)
}

// Decode decodes JSON into out, rejecting unknown fields.
func Decode(name string, js []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("config %s: %w", name, err)
	}
	return nil
}
