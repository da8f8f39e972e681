// Command sandbox measures what sandboxing adds to an action's critical
// path: latency of /bin/true (median, p90) and its overhead over a plain
// fork/exec, for our container runner (one-shot and prepared ahead) and,
// where installed, bubblewrap, crun and runc on the same root filesystem
// with the same namespaces, all in one run. Run as root:
//
//	go run -tags seccomp ./test/bench/sandbox -n 200
//
// The prepared runner gets a pause between actions (-gap), as a worker
// spends between two actions of a slot fetching inputs and uploading
// outputs; the container for the next action is prepared during it. CPU
// per action counts this process and all its children, preparation
// included.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"sort"
	"syscall"
	"text/tabwriter"
	"time"

	runnerpb "github.com/sandbarn/sandbarn/proto/runner"
	"github.com/sandbarn/sandbarn/sandbox/container"
)

func main() {
	container.Init()
	n := flag.Int("n", 200, "actions per variant")
	gap := flag.Duration("gap", 100*time.Millisecond, "pause between actions (time the worker spends on inputs and outputs)")
	seccomp := flag.Bool("seccomp", true, "apply the seccomp profile (needs -tags seccomp)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the runner side to this file")
	only := flag.String("only", "", "run only the variants whose names match this regular expression (the fork/exec baseline always runs)")
	flag.Parse()
	if os.Geteuid() != 0 {
		// Skipped, not failed, so `make bench` goes on to the others.
		fmt.Println("skipped: the sandbox benchmark needs root")
		return
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	build, err := os.MkdirTemp("", "sandbarn-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(build)
	// Sandbox users must be able to reach the input root.
	if err := os.Chmod(build, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(build, "root"), 0o777); err != nil {
		log.Fatal(err)
	}
	filter, err := regexp.Compile(*only)
	if err != nil {
		log.Fatal(err)
	}
	t := &table{w: tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight), n: *n, gap: *gap, only: filter}
	fmt.Fprintln(t.w, "variant\tactions\tp50\tp90\toverhead p50\toverhead p90\tCPU/action\t")
	t.add("fork/exec /bin/true", func() error { return exec.Command("/bin/true").Run() })
	for _, oneShot := range []bool{true, false} {
		r, err := container.New(container.Config{
			BuildDirectory: build,
			CgroupParent:   "/sandbarn-bench",
			DisableSeccomp: !*seccomp,
			OneShot:        oneShot,
		})
		if err != nil {
			log.Fatalf("%v (try -seccomp=false)", err)
		}
		name := "sandbarn prepared"
		if oneShot {
			name = "sandbarn one-shot"
		}
		t.add(name, func() error { return runTrue(r) })
		r.Close()
	}
	others(t, build)
	t.w.Flush()
}

func runTrue(r *container.Runner) error {
	req := &runnerpb.RunRequest{
		Arguments:          []string{"/bin/true"},
		StdoutPath:         "stdout",
		StderrPath:         "stderr",
		InputRootDirectory: "root",
	}
	resp, err := r.Run(context.Background(), req)
	if err == nil && resp.ExitCode != 0 {
		err = fmt.Errorf("exit code %d", resp.ExitCode)
	}
	return err
}

// table runs each variant and prints a row; the first row is the
// fork/exec baseline the overheads are relative to.
type table struct {
	w        *tabwriter.Writer
	n        int
	gap      time.Duration
	baseline [2]time.Duration
	only     *regexp.Regexp
}

// add runs f n times (after a few warm-up runs) and prints latency
// percentiles, overhead over the baseline, and the CPU this process and
// its children used per run.
func (t *table) add(name string, f func() error) {
	if t.baseline[0] != 0 && !t.only.MatchString(name) {
		return
	}
	for range 3 {
		if err := f(); err != nil {
			log.Printf("%s: skipped: %v", name, err)
			return
		}
		time.Sleep(t.gap)
	}
	latencies := make([]time.Duration, 0, t.n)
	cpuBefore := cpuTime()
	for range t.n {
		start := time.Now()
		if err := f(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		latencies = append(latencies, time.Since(start))
		time.Sleep(t.gap)
	}
	cpu := (cpuTime() - cpuBefore) / time.Duration(t.n)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))] }
	if t.baseline[0] == 0 {
		t.baseline = [2]time.Duration{p(0.5), p(0.9)}
	}
	fmt.Fprintf(t.w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", name, t.n, ms(p(0.5)), ms(p(0.9)),
		ms(p(0.5)-t.baseline[0]), ms(p(0.9)-t.baseline[1]), ms(cpu))
}

// cpuTime is user+system time of this process and its waited-for
// children; container init processes are children of this process.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
