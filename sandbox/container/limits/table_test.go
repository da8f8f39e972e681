package limits

import (
	"slices"
	"testing"

	"github.com/sandbarn/sandbarn/platform"
)

// TestTableCoversEveryLimitProperty: the platform names the limits an
// action may ask for and this table applies them; neither may have one
// the other lacks.
func TestTableCoversEveryLimitProperty(t *testing.T) {
	var inTable []string
	for _, l := range Table {
		inTable = append(inTable, l.Property)
	}
	names := platform.LimitProperties()
	slices.Sort(inTable)
	slices.Sort(names)
	if !slices.Equal(inTable, names) {
		t.Errorf("limits table has %v, platform names %v", inTable, names)
	}
}
