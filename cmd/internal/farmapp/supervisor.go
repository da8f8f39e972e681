package farmapp

import (
	"context"
	"log"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// supervisor keeps one child process running: it restarts the child when
// it dies (a crashed worker or runner must not take the farm down), with a
// growing pause so a child that cannot start does not spin.
type supervisor struct {
	name string
	args []string
	// pidFile records the running child's pid for operators and tests.
	pidFile string
}

const (
	firstRestartDelay = 200 * time.Millisecond
	maxRestartDelay   = 10 * time.Second
	// healthyAfter resets the restart delay: a child that ran this long
	// was not crash-looping.
	healthyAfter = 30 * time.Second
	// stopGrace is how long a child may take to stop after SIGTERM.
	stopGrace = 15 * time.Second
)

// run starts the child and restarts it until ctx ends, then stops it.
func (s *supervisor) run(ctx context.Context) {
	delay := firstRestartDelay
	for {
		started := time.Now()
		err := s.runOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > healthyAfter {
			delay = firstRestartDelay
		}
		log.Printf("sandbarn farm: %s exited (%v); restarting in %v", s.name, err, delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRestartDelay)
	}
}

// runOnce runs the child until it exits or ctx ends.
func (s *supervisor) runOnce(ctx context.Context) error {
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// The child dies with the farm even when the farm is killed with
	// SIGKILL, so no orphaned worker keeps running actions.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	_ = os.WriteFile(s.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			return err
		case <-time.After(stopGrace):
			log.Printf("sandbarn farm: %s did not stop within %v; killing it", s.name, stopGrace)
			_ = cmd.Process.Kill()
			return <-done
		}
	}
}
