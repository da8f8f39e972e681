package configuration

import (
	"fmt"
	"reflect"
	"strings"
)

// BlobAccessConfiguration chooses one backend or decorator: exactly one
// field must be set. The JSON names of the fields are the names users
// write, e.g. { grpc: { address: '...' } }. Every field is a pointer to
// its kind's configuration message, so unset means nil.
type BlobAccessConfiguration struct {
	Local  *LocalConfiguration  `json:"local,omitempty"`
	GRPC   *GRPCConfiguration   `json:"grpc,omitempty"`
	Memory *MemoryConfiguration `json:"memory,omitempty"`
}

// chosen returns the JSON name of the one field c sets. It reads the
// names from the struct, so a new field needs no change here and the
// error always lists every choice.
func (c *BlobAccessConfiguration) chosen() (string, error) {
	v := reflect.ValueOf(c).Elem()
	var all, set []string
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		all = append(all, name)
		if !v.Field(i).IsNil() {
			set = append(set, name)
		}
	}
	switch len(set) {
	case 1:
		return set[0], nil
	case 0:
		return "", fmt.Errorf("no backend set: set one of %s", strings.Join(all, ", "))
	}
	return "", fmt.Errorf("%s are all set: set only one of %s", strings.Join(set, " and "), strings.Join(all, ", "))
}
