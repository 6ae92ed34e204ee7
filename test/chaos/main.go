// Command chaos is the bounded reliability run: a local kube-apiserver and
// etcd (bin/k8s), two replicas of the real bin/manager with leader
// election, N control planes whose Workspaces churn, and hostile writers of
// every kind, while managers are killed (the leader and at random) and the
// API server is stopped and started again on the same etcd. An invariant
// checker watches every object; at every quiet point and at the end each
// control plane's status.workspaceStatus.atProvider must equal the latest
// non-empty atProvider of its Workspace and be owned by
// capt-workspace-status alone. It reports every loss window and fails on a
// permanent loss or a window longer than its bound: -bound for a window
// without a fault inside, -fault-bound for one that spans a kill or an API
// server restart (nothing repairs while no manager leads).
//
//	go run ./test/chaos -duration 60s -n 20 -out docs/reliability.md
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"
)

type options struct {
	duration   time.Duration
	n          int
	segment    time.Duration
	bound      time.Duration
	faultBound time.Duration
	churnRate  float64
	hostile    float64
	seed       int64
	assets     string
	windows    string
	manager    string
	out        string
	verbose    bool
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "total time of chaos (quiet points excluded)")
	flag.IntVar(&o.n, "n", 20, "control planes")
	flag.DurationVar(&o.segment, "segment", 20*time.Second, "chaos between two quiet points")
	flag.DurationVar(&o.bound, "bound", 10*time.Second, "longest loss window allowed when no fault happens inside it")
	flag.DurationVar(&o.faultBound, "fault-bound", 60*time.Second, "longest loss window allowed across faults, and how long a quiet point waits")
	flag.Float64Var(&o.churnRate, "churn-rate", 5, "Workspace changes per second")
	flag.Float64Var(&o.hostile, "hostile-rate", 6, "hostile writes per second, all kinds together")
	flag.Int64Var(&o.seed, "seed", 0, "random seed (0: from the clock)")
	flag.StringVar(&o.assets, "assets", "bin/k8s", "folder with kube-apiserver and etcd")
	flag.StringVar(&o.manager, "manager", "bin/manager", "the manager binary")
	flag.StringVar(&o.out, "out", "", "also write the report to this markdown file")
	flag.StringVar(&o.windows, "windows", "", "write every loss window (control plane, start, end, length, cause, faults) to this TSV file")
	flag.BoolVar(&o.verbose, "v", false, "print every fault, window and quiet point as it happens")
	flag.Parse()
	ctrl.SetLogger(logr.Discard()) // the harness reports; the managers log to files
	if o.seed == 0 {
		o.seed = time.Now().UnixNano()
	}
	ok, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "chaos: FAILED: an invariant was broken (see above)")
		os.Exit(1)
	}
}
