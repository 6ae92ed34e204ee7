package main

import (
	"fmt"
	"os/exec"
	"sync/atomic"
	"syscall"
)

// writerProcess is the process of the writer under test. It is waited for
// from the start, so that a process that ends on its own (a crash, a lost
// lease) ends the measurement with its exit status instead of leaving the
// harness waiting for mirrors nobody will write.
type writerProcess struct {
	cmd      *exec.Cmd
	exited   chan struct{}
	err      error // the exit status, once exited is closed
	stopping atomic.Bool
}

func watchProcess(cmd *exec.Cmd) *writerProcess {
	p := &writerProcess{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p
}

// stop ends the process and waits until it has exited.
func (p *writerProcess) stop() {
	p.stopping.Store(true)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.exited
}

// lost is an error once the process has exited without being stopped.
func (p *writerProcess) lost() error {
	select {
	case <-p.exited:
		if !p.stopping.Load() {
			if p.err == nil {
				return fmt.Errorf("the writer process (pid %d) exited on its own, with status 0", p.cmd.Process.Pid)
			}
			return fmt.Errorf("the writer process (pid %d) exited on its own: %w", p.cmd.Process.Pid, p.err)
		}
	default:
	}
	return nil
}
