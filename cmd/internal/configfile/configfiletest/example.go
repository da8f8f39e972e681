package configfiletest

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-jsonnet"

	"github.com/sandbarn/sandbarn/cmd/internal/configfile"
)

// CheckExample fails t unless the Jsonnet file at path decodes strictly
// into a value of cfg's type and sets every field of that type. Fields
// below a map are not looked into; a field of a list of objects counts as
// set when any element sets it.
//
// leftOut names the fields, by their JSON path (e.g. "storage.address"),
// that the example deliberately does not set, each with the reason; the
// fields below them are not checked either. An entry that names no field
// fails the test, so the list cannot outlive a renamed field.
func CheckExample(t testing.TB, path string, cfg any, leftOut map[string]string) {
	t.Helper()
	typ := reflect.TypeOf(cfg)
	if err := configfile.Load(path, reflect.New(typ).Interface()); err != nil {
		t.Fatalf("%s does not decode into %s: %v", path, typ, err)
	}
	unset, err := Unset(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	all := Fields(typ)
	for p := range leftOut {
		if !slices.Contains(all, p) {
			t.Errorf("%s: the list of fields left out names %q, which is no field of %s", path, p, typ)
		}
	}
	for _, p := range unset {
		if !isBelowAny(p, leftOut) {
			t.Errorf("%s does not set %s; set it (with a comment on what it does), or list it as left out with the reason", path, p)
		}
	}
}

// Unset returns the JSON paths of the fields of cfg's type that the
// Jsonnet file at path does not set, in field order.
func Unset(path string, cfg any) ([]string, error) {
	js, err := jsonnet.MakeVM().EvaluateFile(path)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		return nil, err
	}
	var out []string
	walk(reflect.TypeOf(cfg), []any{doc}, "", func(p string, vals []any) bool {
		if len(vals) == 0 {
			out = append(out, p)
			return false
		}
		return true
	})
	return out, nil
}

// Fields returns the JSON paths of every field of t and of the structs
// below it, maps excepted.
func Fields(t reflect.Type) []string {
	var out []string
	walk(t, nil, "", func(p string, _ []any) bool {
		out = append(out, p)
		return true
	})
	return out
}

// walk calls visit for each field of t with its path and its values in
// objs (the JSON objects that stand for t), and descends into the field
// when visit returns true. Without objects it walks the type alone.
func walk(t reflect.Type, objs []any, prefix string, visit func(path string, vals []any) bool) {
	t = structOf(t)
	if t == nil {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			// encoding/json writes an embedded struct's fields as its own.
			walk(f.Type, objs, prefix, visit)
			continue
		}
		name, ok := jsonName(f)
		if !ok {
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		vals := fieldValues(objs, name)
		if visit(p, vals) {
			walk(elemType(f.Type), elements(vals), p, visit)
		}
	}
}

// structOf returns the struct type t stands for (through pointers, lists
// and arrays), or nil for leaves: scalars, maps and types that decode
// themselves.
func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	unmarshaler := reflect.TypeFor[json.Unmarshaler]()
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	return t
}

// elemType looks through lists and pointers to the type of one value.
func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	return t
}

// jsonName is the name a field is written under, and whether it is
// written at all.
func jsonName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	switch name {
	case "-":
		return "", false
	case "":
		return f.Name, true
	}
	return name, true
}

// fieldValues returns the values objs give the named field.
func fieldValues(objs []any, name string) []any {
	var out []any
	for _, o := range objs {
		if m, ok := o.(map[string]any); ok {
			if v, ok := m[name]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}

// elements flattens lists, so the fields of a list of objects are looked
// up in every element.
func elements(vals []any) []any {
	var out []any
	for _, v := range vals {
		if l, ok := v.([]any); ok {
			out = append(out, l...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

// isBelowAny reports whether path is one of paths or below one.
func isBelowAny(path string, paths map[string]string) bool {
	for p := range paths {
		if path == p || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

// LeftOutUnder builds entries for CheckExample's leftOut: each of fields
// below each of parents, all for the same reason, as for the backends an
// example does not choose in each of several stores.
func LeftOutUnder(parents, fields []string, reason string) map[string]string {
	out := map[string]string{}
	for _, p := range parents {
		for _, f := range fields {
			out[p+"."+f] = reason
		}
	}
	return out
}
