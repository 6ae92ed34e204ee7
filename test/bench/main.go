// Command bench is the benchmark harness: it runs the same workloads
// through four writers of CAPTControlPlane status.workspaceStatus — A, the
// original full Status().Update; B, the CAPTEP-0040 MergeFrom patch; C, a
// naive Status().Apply on every reconcile; D, bin/manager as shipped (all
// four controllers, the Deployment's flags); E, bin/manager again rendering
// namespaced Workspaces (tf.m.upbound.io) — one after the other on fresh
// objects, against a local kube-apiserver built from source (bin/k8s), and
// prints a markdown table. Every writer's requests are counted in a proxy
// in front of its process.
//
//	go run ./test/bench -n 100,1000 -churn 60s -out docs/benchmarks.md
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

type options struct {
	// workspaceScope is the kind of Workspace writer D (and the variants)
	// render; the baselines mirror cluster-scoped Workspaces the harness
	// creates, and writer E always renders namespaced ones.
	workspaceScope string
	sizes          []int
	churn          time.Duration
	saturation     time.Duration
	churnRate      float64
	contention     float64
	resync         time.Duration
	ceilingFor     time.Duration
	ceilingWorkers int
	outputBytes    int
	out            string
	assets         string
	manager        string
	onlyWriters    string
	writerKind     string // child mode
	kubeconfig     string
	namespace      string
	metricsAddr    string // child mode
	cpuProfile     string
	hostileFor     time.Duration
	hostileRate    float64
	seed           int64
	plotDir        string
	churnLarge     time.Duration
	runResync      time.Duration
	variants       map[string]string // writer → manager binary, beside D
	logDir         string
}

// largeN is where the churn workloads are shortened (-churn-large), so
// that a run at 10 000 control planes stays within the hour.
const largeN = 10000

// at is the options for N control planes: the resync period grows with N
// (2 ms per control plane, never below -resync), since a writer that writes
// on every resync could not keep up with a 2 s resync of 10 000 objects and
// the steady state would measure that backlog; and from largeN on the
// churn lasts -churn-large.
func (o options) at(n int) options {
	o.resync = max(o.resync, time.Duration(n)*2*time.Millisecond)
	if n >= largeN {
		o.churn = o.churnLarge
	}
	return o
}

// scopeOf is the kind of Workspace writer kind's manager renders.
func (o options) scopeOf(kind string) infrastructurev1beta1.WorkspaceScope {
	if kind == writerOursNamespaced {
		return infrastructurev1beta1.WorkspaceScopeNamespaced
	}
	return infrastructurev1beta1.WorkspaceScope(o.workspaceScope)
}

// managerOf is the manager binary writer kind runs: D's (and E's), or a
// variant's; ok is false for the baselines, which run in a child of this
// program.
func (o options) managerOf(kind string) (binary string, ok bool) {
	if kind == writerOurs || kind == writerOursNamespaced {
		return o.manager, true
	}
	binary, ok = o.variants[kind]
	return binary, ok
}

func main() {
	var o options
	sizes := flag.String("n", "100,1000", "numbers of control planes, comma separated")
	flag.DurationVar(&o.churn, "churn", 60*time.Second, "duration of the churn and contention workloads")
	flag.DurationVar(&o.saturation, "saturation", 20*time.Second, "duration of the saturated churn workload")
	flag.Float64Var(&o.churnRate, "churn-rate", 50, "Workspace changes per second during churn")
	flag.Float64Var(&o.contention, "contention-rate", 20, "other-status updates per second during contention")
	flag.DurationVar(&o.resync, "resync", 2*time.Second, "the writers' cache resync period (steady state runs 5 of them)")
	flag.DurationVar(&o.ceilingFor, "ceiling", 10*time.Second, "duration of the raw status-apply ceiling measurement")
	flag.IntVar(&o.ceilingWorkers, "ceiling-workers", 4, "concurrent appliers of the ceiling measurement")
	flag.DurationVar(&o.runResync, "run-resync", 10*time.Hour, "the writers' resync period from workload 2b on: what they run with in a cluster (controller-runtime's and bin/manager's default)")
	flag.DurationVar(&o.churnLarge, "churn-large", 20*time.Second, "duration of the churn and contention workloads from N = 10000 on")
	flag.DurationVar(&o.hostileFor, "hostile", 30*time.Second, "duration of the hostile-writers workload")
	flag.Float64Var(&o.hostileRate, "hostile-rate", 10, "hostile writes per second, all kinds together")
	flag.Int64Var(&o.seed, "seed", 40, "seed of the hostile writes and their churn: every writer gets the same stream")
	flag.StringVar(&o.plotDir, "plot-dir", "", "write the loss windows of the hostile-writers workload as an SVG per N into this folder")
	flag.IntVar(&o.outputBytes, "atprovider-bytes", 2048, "approximate size of each atProvider")
	flag.StringVar(&o.out, "out", "", "also write the report to this markdown file")
	flag.StringVar(&o.workspaceScope, "workspace-scope", "Cluster", "the kind of Workspace bin/manager renders: Cluster (tf.upbound.io, which the baselines also mirror) or Namespaced (provider-terraform v1's tf.m.upbound.io, which writer E always renders)")
	flag.StringVar(&o.logDir, "log-dir", "", "keep each manager process's log here (<writer>-<N>-<start>.log); by default it is discarded")
	flag.StringVar(&o.assets, "assets", "bin/k8s", "folder with kube-apiserver and etcd")
	flag.StringVar(&o.manager, "manager", "bin/manager", "the manager binary, writer D")
	flag.StringVar(&o.onlyWriters, "writers", strings.Join(writers, ","), "writers to run")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write each writer process's CPU profile to this path with the writer's letter and N appended")
	flag.Func("variant", "also run another manager binary as a writer row, NAME=PATH (repeatable): a build of the tree with one shortcut removed, or an earlier commit", func(v string) error {
		name, path, ok := strings.Cut(v, "=")
		if !ok || path == "" || len(validation.IsDNS1123Label(strings.ToLower(name))) > 0 || slices.Contains(writers, name) {
			return fmt.Errorf("want NAME=PATH with a new NAME that, lower-cased, is a DNS label")
		}
		if o.variants == nil {
			o.variants = map[string]string{}
		}
		o.variants[name] = path
		writers = append(writers, name)
		return nil
	})
	flag.StringVar(&o.writerKind, "writer", "", "(internal) run as the writer process of this kind")
	flag.StringVar(&o.kubeconfig, "writer-kubeconfig", "", "(internal) kubeconfig of the writer process")
	flag.StringVar(&o.namespace, "namespace", "", "(internal) namespace of the writer process")
	flag.StringVar(&o.metricsAddr, "writer-metrics", "0", "(internal) metrics address of the writer process")
	flag.Parse()

	var err error
	switch o.writerKind {
	case writerCeiling:
		n, _ := strconv.Atoi(*sizes)
		err = runCeiling(o.kubeconfig, o.namespace, n, o.ceilingWorkers, o.ceilingFor, o.outputBytes)
	case "":
		for _, s := range strings.Split(*sizes, ",") {
			n, convErr := strconv.Atoi(strings.TrimSpace(s))
			if convErr != nil || n < 1 {
				fmt.Fprintf(os.Stderr, "bench: bad -n %q\n", s)
				os.Exit(2)
			}
			o.sizes = append(o.sizes, n)
		}
		for name := range o.variants {
			if !slices.Contains(strings.Split(o.onlyWriters, ","), name) {
				o.onlyWriters += "," + name
			}
		}
		for _, w := range strings.Split(o.onlyWriters, ",") {
			if !slices.Contains(writers, w) {
				fmt.Fprintf(os.Stderr, "bench: unknown writer %q (have %s)\n", w, strings.Join(writers, ", "))
				os.Exit(2)
			}
		}
		err = runHarness(o)
	default:
		err = runWriter(o.writerKind, o.kubeconfig, o.namespace, o.metricsAddr, o.resync, o.cpuProfile)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
