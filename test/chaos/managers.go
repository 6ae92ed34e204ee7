package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const leaseName = "capt-controlplane-leader.controlplane.cluster.x-k8s.io"

// replica is one bin/manager process, restarted by its supervisor whenever
// it exits, as a Deployment's kubelet would.
type replica struct {
	name        string
	metricsPort int
	args        []string
	logPath     string

	mu       sync.Mutex
	cmd      *exec.Cmd
	running  bool
	starts   int
	exits    map[string]int // how it ended → count
	killedAt time.Time
}

func newReplica(name, binary, kubeconfig, dir, namespace string) (*replica, error) {
	metrics, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	probe, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	return &replica{
		name:        name,
		metricsPort: metrics,
		logPath:     filepath.Join(dir, name+".log"),
		exits:       map[string]int{},
		args: []string{binary,
			"--kubeconfig", kubeconfig,
			"--namespace", namespace,
			"--leader-elect", "--leader-election-namespace", namespace,
			// Short leases, so that failovers fit in a short run.
			"--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s", "--leader-elect-retry-period=500ms",
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics), "--metrics-secure=false",
			fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe),
		},
	}, nil
}

// supervise runs the replica until ctx ends, restarting it a second after
// every exit.
func (r *replica) supervise(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	logFile, err := os.OpenFile(r.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return
	}
	defer func() { _ = logFile.Close() }()
	for ctx.Err() == nil {
		cmd := exec.Command(r.args[0], r.args[1:]...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "chaos: starting", r.name, err)
			return
		}
		r.mu.Lock()
		r.cmd, r.running = cmd, true
		r.starts++
		r.mu.Unlock()

		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var waitErr error
		select {
		case waitErr = <-done:
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			waitErr = <-done
		}
		r.mu.Lock()
		r.running = false
		how := "exited by itself: " + exitText(waitErr)
		if !r.killedAt.IsZero() {
			how, r.killedAt = "killed (SIGKILL)", time.Time{}
		}
		if ctx.Err() != nil {
			how = "stopped at the end (SIGTERM): " + exitText(waitErr)
		}
		r.exits[how]++
		r.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func exitText(err error) string {
	if err == nil {
		return "status 0"
	}
	return err.Error()
}

// kill sends SIGKILL: no lease release, no cleanup.
func (r *replica) kill() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return false
	}
	r.killedAt = time.Now()
	_ = r.cmd.Process.Kill()
	return true
}

func (r *replica) isRunning() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running
}

// leads reads the replica's leader election metric.
func (r *replica) leads() bool {
	if !r.isRunning() {
		return false
	}
	client := http.Client{Timeout: 500 * time.Millisecond}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", r.metricsPort))
	if err != nil {
		return false
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(body), `leader_election_master_status{name="`+leaseName+`"} 1`)
}

// leadership follows which replica leads, counting changes of leader and
// the longest time without one.
type leadership struct {
	mu          sync.Mutex
	leader      string
	failovers   int
	leaderless  time.Time // since when nobody leads
	maxNoLeader time.Duration
	elections   int
}

func (l *leadership) follow(ctx context.Context, replicas []*replica) {
	every(ctx, 200*time.Millisecond, func() { l.observe(replicas) })
}

func (l *leadership) observe(replicas []*replica) {
	now := ""
	for _, r := range replicas {
		if r.leads() {
			now = r.name
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case now == "" && l.leader != "":
		l.leaderless = time.Now()
	case now != "" && l.leader == "" && !l.leaderless.IsZero():
		l.maxNoLeader = max(l.maxNoLeader, time.Since(l.leaderless))
	}
	if now != "" && now != l.leader {
		l.elections++
		if l.elections > 1 {
			l.failovers++
		}
	}
	l.leader = now
}

func (l *leadership) current() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.leader
}

// every calls fn every period until ctx ends.
func every(ctx context.Context, period time.Duration, fn func()) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}
