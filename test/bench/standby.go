package main

import (
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// standbyReplica is a second bin/manager with the same flags as D: it does
// not hold the lease, so it must neither reconcile nor write; what it costs
// is its watches (its cache is kept warm for a fast takeover) and its
// attempts at the lease.
type standbyReplica struct {
	cmd      *exec.Cmd
	requests *testenv.RequestLog
	metrics  string
	stopped  func()
}

// standbyMark is where a standby's counters stood at one moment.
type standbyMark struct {
	cpu        time.Duration
	requests   int
	reconciles int
}

// standbyCost is what a standby spent over a workload.
type standbyCost struct {
	cpu        time.Duration
	peakRSS    int64
	requests   counters
	reconciles int
}

func (h *harness) startStandby(resync time.Duration) (*standbyReplica, error) {
	requests := &testenv.RequestLog{}
	kubeconfig, stopProxy, err := requests.Proxy(h.cfg, h.dir)
	if err != nil {
		return nil, err
	}
	cmd, metrics, _, err := h.startManager(h.o.manager, kubeconfig, resync, true)
	if err != nil {
		stopProxy()
		return nil, err
	}
	return &standbyReplica{cmd: cmd, requests: requests, metrics: metrics, stopped: stopProxy}, nil
}

func (s *standbyReplica) mark() standbyMark {
	cpu, _ := processCPU(s.cmd.Process.Pid)
	return standbyMark{cpu: cpu, requests: s.requests.Mark(), reconciles: s.reconciles()}
}

// since is what the standby spent from m on.
func (s *standbyReplica) since(m standbyMark) *standbyCost {
	cpu, rss := processCPU(s.cmd.Process.Pid)
	return &standbyCost{cpu: cpu - m.cpu, peakRSS: rss, requests: countersOf(s.requests.Since(m.requests)), reconciles: s.reconciles() - m.reconciles}
}

// reconciles is the standby's reconciles so far, every controller together.
func (s *standbyReplica) reconciles() int {
	r, err := testenv.Reconciles(s.metrics)
	if err != nil {
		return -1
	}
	total := 0
	for _, n := range r {
		total += n
	}
	return total
}

func (s *standbyReplica) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
	s.stopped()
}

func (c standbyCost) String() string {
	return fmt.Sprintf("CPU %.2f s, peak RSS %.0f MiB, requests: %s; lease requests %d, writes %d, reconciles %d",
		c.cpu.Seconds(), mib(c.peakRSS), verbs(c.requests), c.requests.leases, c.requests.writes, c.reconciles)
}

func (c standbyCost) writes() int64 { return c.requests.writes }
