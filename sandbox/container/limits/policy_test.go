package limits

import "testing"

func TestResolve(t *testing.T) {
	p := Policy{
		Default: Limits{CPUMillicores: 1000, MemoryBytes: 1 << 30, Pids: 256},
		Maximum: Limits{CPUMillicores: 4000, MemoryBytes: 8 << 30, Pids: 4096},
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := p.Resolve(map[string]string{"memory-limit": "64MiB", "OSFamily": "Linux"})
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{CPUMillicores: 1000, MemoryBytes: 64 << 20, Pids: 256}
	if got != want {
		t.Errorf("Resolve = %+v; want %+v", got, want)
	}
	for _, props := range []map[string]string{
		{"cpu-limit": "5"},
		{"memory-limit": "9GiB"},
		{"pids-limit": "5000"},
		{"pids-limit": "many"},
	} {
		if _, err := p.Resolve(props); err == nil {
			t.Errorf("Resolve(%v) accepted a value it must refuse", props)
		}
	}
}

func TestValidateRejectsDefaultAboveMaximum(t *testing.T) {
	p := Policy{Default: Limits{Pids: 100}, Maximum: Limits{Pids: 10}}
	if p.Validate() == nil {
		t.Error("a default above the maximum was accepted")
	}
}
