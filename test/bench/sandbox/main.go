// Command sandbox measures what the container sandbox adds to an action:
// create+run+destroy latency of /bin/true (p50, p90) and the CPU spent
// per action, beside a plain fork/exec of the same command. Run as root:
//
//	go run -tags seccomp ./test/bench/sandbox -n 200
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
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
	seccomp := flag.Bool("seccomp", true, "apply the seccomp profile (needs -tags seccomp)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the runner side to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if os.Geteuid() != 0 {
		log.Fatal("the sandbox benchmark needs root")
	}
	build, err := os.MkdirTemp("", "sandbarn-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(build)
	if err := os.Mkdir(filepath.Join(build, "root"), 0o755); err != nil {
		log.Fatal(err)
	}
	r, err := container.New(container.Config{
		BuildDirectory: build,
		CgroupParent:   "/sandbarn-bench",
		DisableSeccomp: !*seccomp,
	})
	if err != nil {
		log.Fatalf("%v (try -seccomp=false)", err)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "variant\tactions\tp50\tp90\tCPU/action\t")
	report(w, "fork/exec /bin/true", *n, func() error { return exec.Command("/bin/true").Run() })
	req := &runnerpb.RunRequest{
		Arguments:          []string{"/bin/true"},
		StdoutPath:         "stdout",
		StderrPath:         "stderr",
		InputRootDirectory: "root",
	}
	report(w, "container /bin/true", *n, func() error {
		resp, err := r.Run(context.Background(), req)
		if err == nil && resp.ExitCode != 0 {
			err = fmt.Errorf("exit code %d", resp.ExitCode)
		}
		return err
	})
	w.Flush()
}

// report runs f n times (after a few warm-up runs) and prints latency
// percentiles and the CPU this process and its children used per run.
func report(w *tabwriter.Writer, name string, n int, f func() error) {
	for range 3 {
		if err := f(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
	}
	latencies := make([]time.Duration, 0, n)
	cpuBefore := cpuTime()
	for range n {
		start := time.Now()
		if err := f(); err != nil {
			log.Fatalf("%s: %v", name, err)
		}
		latencies = append(latencies, time.Since(start))
	}
	cpu := (cpuTime() - cpuBefore) / time.Duration(n)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	p := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))] }
	fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t\n", name, n, ms(p(0.5)), ms(p(0.9)), ms(cpu))
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
