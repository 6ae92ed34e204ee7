package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// Workloads, in the order they run for each writer.
const (
	wlInitial    = "1 initial convergence"
	wlSteady     = "2 steady state"
	wlRestart    = "2b restart"
	wlChurn      = "3 churn"
	wlContention = "4 churn + contention"
	wlSaturated  = "5 saturated churn"
	wlDrain      = "6 backlog drain"
	wlHostile    = "7 hostile writers"
)

var workloads = []string{wlInitial, wlSteady, wlRestart, wlChurn, wlContention, wlSaturated, wlDrain, wlHostile}

// measurement is one writer's figures for one workload.
type measurement struct {
	writer, workload string
	n                int
	duration         time.Duration
	changes          int // Workspace changes made
	mirrored         int // changes seen mirrored
	requests         counters
	latencies        []time.Duration
	losses           int
	lossTime         time.Duration
	maxLoss          time.Duration
	cpu              time.Duration // writer process
	apiServerCPU     time.Duration // kube-apiserver, over the whole workload
	peakRSS          int64         // writer process, bytes
	machineBusy      float64       // share of the machine's CPU in use (drain only)
	cpuByProcess     cpuByProcess  // every process's CPU (drain only)
	windows          []lossWindow  // every closed loss window
	permanent        int           // control planes not mirroring their latest observation at the end (hostile only)
	hostile          map[string]int
	reconciles       map[string]int // by controller (D only)
	standby          *standbyCost   // D's standby replica during the churn
	// ownCeiling is the fair ceiling on the manager's own converged control
	// planes (drain only, managers only).
	ownCeiling *ceilingResult
}

type harness struct {
	o   options
	c   client.WithWatch
	cfg *rest.Config // an administrator, for the proxies in front of the writers
	dir string
}

// counters are the requests of one writer process during one workload, as
// the proxy in front of it recorded them. The leader's lease renewals (D
// runs with leader election, as the Deployment does) are counted apart.
type counters struct {
	verbs  map[string]int64 // API verb → requests, leases excluded
	bytes  int64            // request bodies, leases excluded
	writes int64            // creates, updates, patches, applies and deletes, leases excluded
	leases int64
	// byKey counts the writes by verb, resource and field manager.
	byKey map[string]int
}

func countersOf(reqs []testenv.Request) counters {
	c := counters{verbs: map[string]int64{}}
	for _, r := range reqs {
		if r.Resource == "leases.coordination.k8s.io" {
			c.leases++
			continue
		}
		c.verbs[r.Verb]++
		c.bytes += r.Bytes
	}
	c.writes = int64(len(testenv.Writes(reqs)))
	c.byKey = testenv.CountByKey(testenv.Writes(reqs))
	return c
}

// ceilings are the status-apply ceilings at one N.
type ceilings struct{ raw, fair ceilingResult }

// ceilingResult is a status-apply ceiling and what it cost.
type ceilingResult struct {
	rate    float64      // applies per second
	applies int          // applies made
	busy    float64      // share of the machine's CPU in use
	cpu     cpuByProcess // every process's CPU
}

func runHarness(o options) error {
	ctx := context.Background()
	rev := commit()
	root, err := repoRoot()
	if err != nil {
		return err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: o.assets,
		// The project's CRDs and provider-terraform's own (make
		// provider-terraform-crds).
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases"), testenv.ProviderTerraformCRDs(testenv.ProviderTerraformGeneration())},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("starting kube-apiserver from %s (make k8s-binaries): %w", o.assets, err)
	}
	defer func() { _ = env.Stop() }()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 2000, 4000
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme.New()})
	if err != nil {
		return err
	}
	if err := testenv.GrantEveryNamespace(ctx, c, "default"); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "capt-bench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()

	var results []measurement
	ceils := map[int]ceilings{}
	for _, n := range o.sizes {
		h := &harness{o: o.at(n), c: c, cfg: cfg, dir: dir}
		fmt.Fprintf(os.Stderr, "N=%d status-apply ceilings\n", n)
		raw, fair, err := h.ceilings(ctx, n)
		if err != nil {
			return fmt.Errorf("ceiling, N=%d: %w", n, err)
		}
		ceils[n] = ceilings{raw: raw, fair: fair}
		for _, w := range strings.Split(o.onlyWriters, ",") {
			fmt.Fprintf(os.Stderr, "N=%d writer %s\n", n, w)
			ms, err := h.runWriter(ctx, w, n)
			if err != nil {
				return fmt.Errorf("writer %s, N=%d: %w", w, n, err)
			}
			results = append(results, ms...)
			// Written after each writer, so that a failure or a stop keeps
			// what was measured.
			if err := writeReport(o, rev, results, ceils, false); err != nil {
				return err
			}
		}
	}
	return writeReport(o, rev, results, ceils, true)
}

// writeReport writes the report and the plots of the sizes measured so far
// (and prints the report when final).
func writeReport(o options, rev string, results []measurement, ceils map[int]ceilings, final bool) error {
	done := o
	done.sizes = nil
	for _, n := range o.sizes {
		if _, ok := ceils[n]; ok {
			done.sizes = append(done.sizes, n)
		}
	}
	if o.plotDir != "" {
		for _, n := range done.sizes {
			if err := writePlot(plotPath(o.plotDir, n), o.at(n), results, n); err != nil {
				return err
			}
		}
	}
	report := renderReport(done, rev, results, ceils)
	if final {
		fmt.Print(report)
	}
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report), 0o644)
	}
	return nil
}

// runWriter runs the workloads through one writer process on fresh
// objects in a namespace of their own, behind a proxy that records every
// request the process sends.
func (h *harness) runWriter(ctx context.Context, kind string, n int) ([]measurement, error) {
	ns := fmt.Sprintf("%s-%d", strings.ToLower(kind), n)
	if err := h.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return nil, err
	}
	requests := &testenv.RequestLog{}
	kubeconfig, stopProxy, err := requests.Proxy(h.cfg, h.dir)
	if err != nil {
		return nil, err
	}
	defer stopProxy()
	var child *writerProcess
	var pprofAddr, metrics string
	start := func(resync time.Duration) error {
		var cmd *exec.Cmd
		var err error
		if binary, ok := h.o.managerOf(kind); ok {
			cmd, metrics, pprofAddr, err = h.startManager(binary, kubeconfig, resync, false)
		} else {
			cmd, metrics, err = h.startBaseline(kind, kubeconfig, ns, n, resync)
		}
		if err == nil {
			child = watchProcess(cmd)
		}
		return err
	}
	if err := start(h.o.resync); err != nil {
		return nil, err
	}
	// Every writer starts with no other writer's objects in the cluster:
	// Workspaces are cluster-scoped and every process caches all of them.
	defer h.cleanup(ctx, ns)
	defer func() { child.stop() }()

	t, err := newTracker(ctx, h.c, ns)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	// Every wait of the workloads gives up as soon as the writer is gone.
	t.lost = func() error { return child.lost() }
	w := &workload{h: h, kind: kind, ns: ns, n: n, tracker: t, seq: make([]int, n), locks: make([]sync.Mutex, n), requests: requests,
		rng: rand.New(rand.NewPCG(uint64(n), 7)), writer: child.cmd.Process, metrics: metrics}

	var out []measurement
	var standby *standbyReplica
	defer func() {
		if standby != nil {
			standby.stop()
		}
	}()
	for _, wl := range workloads {
		if kind == writerOurs && wl == wlChurn {
			// A second replica, as the Deployment may run: it waits for the
			// lease while the leader works.
			if standby, err = h.startStandby(h.o.runResync); err != nil {
				return nil, err
			}
		}
		var standbyFrom standbyMark
		if standby != nil && wl == wlChurn {
			standbyFrom = standby.mark()
		}
		mark := requests.Mark()
		if wl == wlRestart {
			// From here on the writer runs with the resync period it has in
			// a cluster: a fresh process, on the objects it converged.
			child.stop()
			if err := start(h.o.runResync); err != nil {
				return nil, err
			}
			w.writer, w.metrics = child.cmd.Process, metrics
		}
		cpuBefore, _ := processCPU(child.cmd.Process.Pid)
		apiServerBefore := cpuOf(0)["kube-apiserver"]
		if wl == wlRestart {
			cpuBefore = 0 // the process's start is part of it
		}
		reconcilesBefore, _ := testenv.Reconciles(metrics)
		t.resetPhase()
		if wl == wlChurn && pprofAddr != "" {
			go profileManager(pprofAddr, h.o.churn, fmt.Sprintf("%s.%s-%d", h.o.cpuProfile, kind, n))
		}
		start := time.Now()
		changes, err := w.run(ctx, wl)
		if lost := child.lost(); lost != nil {
			err = lost
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", wl, err)
		}
		duration := time.Since(start)
		apiServerCPU := cpuOf(0)["kube-apiserver"] - apiServerBefore
		busy, byProcess := 0.0, cpuByProcess(nil)
		if wl == wlDrain {
			duration, busy, byProcess = w.drained, w.drainBusy, w.drainCPU // from the moment the writer may work
		}
		if wl == wlSteady && pprofAddr != "" {
			saveProfile(fmt.Sprintf("http://%s/debug/pprof/heap", pprofAddr), fmt.Sprintf("%s.heap.%s-%d", h.o.cpuProfile, kind, n))
		}
		cpuAfter, rss := processCPU(child.cmd.Process.Pid)
		reconciles := map[string]int{}
		if metrics != "" {
			after, _ := testenv.Reconciles(metrics)
			for c, k := range after {
				reconciles[c] = k - reconcilesBefore[c]
			}
		}
		p := t.resetPhase()
		out = append(out, measurement{
			writer: kind, workload: wl, n: n, duration: duration, changes: changes, mirrored: len(p.latencies),
			requests: countersOf(requests.Since(mark)), latencies: p.latencies, losses: p.losses, lossTime: p.lossTime, maxLoss: p.maxLoss,
			cpu: cpuAfter - cpuBefore, apiServerCPU: apiServerCPU, peakRSS: rss, machineBusy: busy, cpuByProcess: byProcess,
			windows: p.windows, permanent: w.permanent, hostile: w.hostileWrites, reconciles: reconciles,
		})
		if standby != nil && wl == wlChurn {
			// Measured over the churn, then stopped: in the later workloads
			// its watches would take CPU from D that A, B and C have.
			out[len(out)-1].standby = standby.since(standbyFrom)
			standby.stop()
			standby = nil
		}
	}
	if _, ok := h.o.managerOf(kind); ok {
		// The fair ceiling once more, on the control planes the manager
		// converged (the product's full status, every manager's
		// managedFields entries), with the manager stopped: what the API
		// server takes per status apply to objects of the size the drain's
		// applies go to, where the first fair ceiling's are bare.
		child.stop()
		fmt.Fprintf(os.Stderr, "N=%d fair ceiling on %s's control planes\n", n, kind)
		own, err := h.fairCeiling(ns, n)
		if err != nil {
			return nil, fmt.Errorf("fair ceiling on %s's control planes: %w", kind, err)
		}
		for i := range out {
			if out[i].workload == wlDrain {
				out[i].ownCeiling = &own
			}
		}
	}
	return out, nil
}

// startBaseline starts a baseline writer (this program with -writer) and
// waits until its cache synced; it returns the URL of its metrics.
func (h *harness) startBaseline(kind, kubeconfig, ns string, n int, resync time.Duration) (*exec.Cmd, string, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, "", err
	}
	args := []string{"-writer", kind, "-writer-kubeconfig", kubeconfig, "-namespace", ns, "-resync", resync.String(),
		"-writer-metrics", fmt.Sprintf("127.0.0.1:%d", port)}
	if h.o.cpuProfile != "" {
		args = append(args, "-cpuprofile", fmt.Sprintf("%s.%s-%d", h.o.cpuProfile, kind, n))
	}
	child, lines, err := startChild(args, io.Discard)
	if err != nil {
		return nil, "", err
	}
	go func() {
		for lines.Scan() {
		}
	}()
	return child, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil
}

// startChild starts this program with args (a child mode) and waits for its
// first line, READY; the rest of its output is in the returned scanner.
func startChild(args []string, stderr io.Writer) (*exec.Cmd, *bufio.Scanner, error) {
	child := exec.Command(os.Args[0], args...)
	child.Stderr = stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := child.Start(); err != nil {
		return nil, nil, err
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "READY" {
		_ = child.Process.Kill()
		_ = child.Wait()
		return nil, nil, fmt.Errorf("%s %s did not get ready: %q", os.Args[0], args[1], lines.Text())
	}
	return child, lines, nil
}

// startManager starts bin/manager with the Deployment's flags
// (config/manager: leader election on) and the harness's resync period;
// metrics are served on a local port without TLS so that the harness can
// see the controllers start. It returns once they run.
//
// With -cpuprofile it also serves pprof, and its address is returned.
func (h *harness) startManager(binary, kubeconfig string, resync time.Duration, standby bool) (child *exec.Cmd, metrics, pprofAddr string, err error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, "", "", err
	}
	args := []string{"--kubeconfig", kubeconfig,
		"--leader-elect", "--leader-election-namespace", "default",
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-secure=false",
		"--health-probe-bind-address", "0", "--sync-period", resync.String()}
	if h.o.cpuProfile != "" {
		pprofPort, err := testenv.FreePort()
		if err != nil {
			return nil, "", "", err
		}
		pprofAddr = fmt.Sprintf("127.0.0.1:%d", pprofPort)
		args = append(args, "--pprof-bind-address", pprofAddr)
	}
	child = exec.Command(binary, args...)
	child.Stdout, child.Stderr = io.Discard, io.Discard
	if h.o.logDir != "" {
		// Why a manager stopped (a lost lease, a crash) is in its log.
		log, err := os.Create(filepath.Join(h.o.logDir, fmt.Sprintf("%s-%s.log", filepath.Base(binary), time.Now().Format("150405.000"))))
		if err != nil {
			return nil, "", "", err
		}
		defer func() { _ = log.Close() }() // the child holds its own descriptor
		child.Stdout, child.Stderr = log, log
	}
	if err := child.Start(); err != nil {
		return nil, "", "", fmt.Errorf("starting %s (make build): %w", binary, err)
	}
	metrics = fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if standby {
			// A standby serves metrics but starts no controller.
			if _, err := testenv.Reconciles(metrics); err == nil {
				return child, metrics, pprofAddr, nil
			}
		} else if testenv.ControllersStarted(metrics) {
			return child, metrics, pprofAddr, nil
		}
	}
	_ = child.Process.Kill()
	return nil, "", "", fmt.Errorf("%s did not start its controllers within a minute", binary)
}

// profileManager saves bin/manager's CPU profile over d into path.
func profileManager(addr string, d time.Duration, path string) {
	saveProfile(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())), path)
}

// saveProfile saves the pprof profile served at url into path.
func saveProfile(url, path string) {
	resp, err := http.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer func() { _ = f.Close() }()
	_, _ = io.Copy(f, resp.Body)
}

// cleanup deletes a writer's objects once the writer has stopped: their
// finalizers are dropped first, since no controller is left to act on them.
func (h *harness) cleanup(ctx context.Context, ns string) {
	ofNamespace := client.MatchingLabels{controlplanev1beta1.LabelControlPlaneNamespace: ns}
	lists := []struct {
		list client.ObjectList
		opts []client.ListOption
	}{
		{&controlplanev1beta1.CAPTControlPlaneList{}, []client.ListOption{client.InNamespace(ns)}},
		{&infrastructurev1beta1.WorkspaceTemplateApplyList{}, []client.ListOption{client.InNamespace(ns)}},
		{&tfv1beta1.WorkspaceList{}, []client.ListOption{ofNamespace}},
	}
	noFinalizers := client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`))
	for _, l := range lists {
		if err := h.c.List(ctx, l.list, l.opts...); err != nil {
			continue
		}
		_ = meta.EachListItem(l.list, func(o runtime.Object) error {
			obj := o.(client.Object)
			_ = h.c.Patch(ctx, obj, noFinalizers)
			_ = h.c.Delete(ctx, obj)
			return nil
		})
	}
}

// workload drives the Workspaces (and the contending writer) of one
// writer's namespace.
type workload struct {
	h       *harness
	kind    string
	ns      string
	n       int
	tracker *tracker
	seq     []int        // last observation sequence per control plane
	locks   []sync.Mutex // per Workspace: its writes are sent in sequence order
	rng     *rand.Rand
	mu      sync.Mutex
	writer  *os.Process // the writer under test, stopped during a backlog
	metrics string      // the writer process's metrics
	// requests are the writer's, as its proxy records them.
	requests *testenv.RequestLog
	drained  time.Duration // how long the last backlog took to drain
	// drainBusy is the fraction of the machine's CPU time in use while it
	// drained: near 1, the drain is bound by CPU, not by waiting.
	drainBusy float64
	drainCPU  cpuByProcess
	// permanent and hostileWrites are workload 7's: control planes left
	// behind at the end, and the hostile writes the API server took by kind.
	permanent     int
	hostileWrites map[string]int
}

// patience is how long to wait for something that takes d at up to 1000
// control planes, and proportionally longer above.
func (w *workload) patience(d time.Duration) time.Duration {
	return d * time.Duration(max(1, (w.n+999)/1000))
}

// createControlPlane creates control plane i of namespace ns, using the
// template "eks".
func (h *harness) createControlPlane(ctx context.Context, ns string, i int) error {
	return h.c.Create(ctx, &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: cpName(i), Namespace: ns},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			Version: "1.31", WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
		},
	})
}

// createWorkspace creates a Workspace labelled as control plane i's of
// namespace ns, as the harness does where no manager renders one.
func (h *harness) createWorkspace(ctx context.Context, ns string, i int, name string) (*tfv1beta1.Workspace, error) {
	ws := &tfv1beta1.Workspace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			controlplanev1beta1.LabelControlPlaneNamespace: ns, controlplanev1beta1.LabelControlPlaneName: cpName(i),
		}},
		Spec: tfv1beta1.WorkspaceSpec{ForProvider: tfv1beta1.WorkspaceParameters{Module: "m", Source: tfv1beta1.ModuleSourceInline}},
	}
	return ws, h.c.Create(ctx, ws)
}

func cpName(i int) string { return fmt.Sprintf("cp-%04d", i) }

func (w *workload) run(ctx context.Context, wl string) (int, error) {
	switch wl {
	case wlInitial:
		return w.initial(ctx)
	case wlSteady:
		time.Sleep(5 * w.h.o.resync)
		return 0, nil
	case wlRestart:
		// A new process looks at every object once, on its first list: the
		// restart is over when every controller has, and then nothing was
		// written for two seconds.
		if err := w.firstSweep(w.patience(10 * time.Minute)); err != nil {
			return 0, err
		}
		return 0, w.quiet(2*time.Second, w.patience(5*time.Minute))
	case wlChurn:
		return w.churn(ctx, false)
	case wlContention:
		return w.churn(ctx, true)
	case wlSaturated:
		return w.saturate(ctx)
	case wlDrain:
		return w.drain(ctx)
	default:
		return w.hostile(ctx)
	}
}

// drain measures the writer's own throughput, apart from the rate at which
// the harness can offer changes: the writer process is stopped (SIGSTOP),
// every Workspace changes once, and the clock runs from SIGCONT until every
// change is mirrored.
func (w *workload) drain(ctx context.Context) (int, error) {
	if err := w.writer.Signal(syscall.SIGSTOP); err != nil {
		return 0, err
	}
	for i := range w.n {
		if err := w.change(ctx, i); err != nil {
			_ = w.writer.Signal(syscall.SIGCONT)
			return i, err
		}
	}
	start, machineBefore, processesBefore := time.Now(), machineCPU(), cpuOf(w.writer.Pid)
	if err := w.writer.Signal(syscall.SIGCONT); err != nil {
		return w.n, err
	}
	err := w.tracker.waitMirrored(w.n, w.seq, w.patience(5*time.Minute))
	w.drained = time.Since(start)
	w.drainBusy = machineCPU().busySince(machineBefore)
	w.drainCPU = cpuOf(w.writer.Pid).minus(processesBefore)
	return w.n, err
}

// saturate changes Workspaces as fast as four concurrent writers can, to
// find the writer's throughput limit.
func (w *workload) saturate(ctx context.Context) (int, error) {
	deadline := time.Now().Add(w.h.o.saturation)
	var wg sync.WaitGroup
	var mu sync.Mutex
	changes := 0
	var firstErr error
	const goroutines = 4
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each goroutine owns every fourth Workspace, so that the
			// changes of one Workspace are written in sequence order.
			for k := g; time.Now().Before(deadline); k += goroutines {
				i := k % w.n
				if i%goroutines != g {
					continue
				}
				err := w.change(ctx, i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				changes++
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return changes, firstErr
	}
	return changes, w.tracker.waitMirrored(w.n, w.seq, w.patience(2*time.Minute))
}

// initial creates N control planes and waits until every one mirrors its
// Workspace. For D the Workspaces come the real way: the control planes use
// a WorkspaceTemplate, bin/manager creates their WorkspaceTemplateApplies and
// renders the Workspaces, and the harness (playing provider-terraform)
// reports on them once they exist. The baselines know no templates: the
// harness creates their Workspaces, under the same names.
func (w *workload) initial(ctx context.Context) (int, error) {
	_, real := w.h.o.managerOf(w.kind)
	if real {
		tmpl := &infrastructurev1beta1.WorkspaceTemplate{
			ObjectMeta: metav1.ObjectMeta{Name: "eks", Namespace: w.ns},
			// Cluster-scoped by default, the kind the baseline writers
			// watch: every writer mirrors the same Workspaces.
			Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: w.h.o.scopeOf(w.kind), Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
				ForProvider: tfv1beta1.WorkspaceParameters{Module: "m", Source: tfv1beta1.ModuleSourceInline,
					Vars: []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}, {Key: "kubernetes_version", Value: "${kubernetes_version}"}}},
			}}},
		}
		if err := w.h.c.Create(ctx, tmpl); err != nil {
			return 0, err
		}
	}
	for i := range w.n {
		if err := w.h.createControlPlane(ctx, w.ns, i); err != nil {
			return 0, err
		}
		if real {
			continue
		}
		if _, err := w.h.createWorkspace(ctx, w.ns, i, workspaceName(cpName(i))); err != nil {
			return 0, err
		}
	}
	for i := range w.n {
		if real {
			if err := w.rendered(ctx, w.workspaceKey(i), w.patience(10*time.Minute)); err != nil {
				return 0, err
			}
		}
		if err := w.change(ctx, i); err != nil {
			return 0, err
		}
	}
	if err := w.tracker.waitMirrored(w.n, w.seq, w.patience(10*time.Minute)); err != nil || !real {
		return w.n, err
	}
	// The product has converged when every control plane is Ready, not
	// when the mirror is: the other controllers' status comes after.
	if err := w.allReady(ctx, w.patience(10*time.Minute)); err != nil {
		return w.n, err
	}
	// Ready is set before the last writes of the other controllers (the
	// applies' status, conditions that follow Ready); converged is when the
	// manager has gone one resync period without a write.
	return w.n, w.quiet(w.h.o.resync, w.patience(time.Minute))
}

// firstSweep waits until each resynced controller of the writer has
// reconciled at least once per control plane since the process started.
func (w *workload) firstSweep(timeout time.Duration) error {
	controllers := testenv.ManagerControllers
	if _, ok := w.h.o.managerOf(w.kind); !ok {
		controllers = []string{baselineController}
	}
	for deadline := time.Now().Add(timeout); ; time.Sleep(200 * time.Millisecond) {
		if err := w.tracker.lost(); err != nil {
			return err
		}
		done, err := testenv.Reconciles(w.metrics)
		if err != nil {
			return err
		}
		behind := []string{}
		for _, c := range controllers {
			if done[c] < w.n {
				behind = append(behind, fmt.Sprintf("%s %d", c, done[c]))
			}
		}
		if len(behind) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the restarted manager's first sweep is short of %d reconciles per controller after %s: %s", w.n, timeout, strings.Join(behind, ", "))
		}
	}
}

// quiet waits until the writer has sent no write for a whole period.
func (w *workload) quiet(period, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		mark := w.requests.Mark()
		time.Sleep(period)
		if err := w.tracker.lost(); err != nil {
			return err
		}
		writes := testenv.Writes(w.requests.Since(mark))
		if len(writes) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the writer still writes %s after converging:\n%s", timeout, testenv.FormatCounts(testenv.CountByKey(writes)))
		}
	}
}

// allReady waits until every control plane of the namespace reports Ready.
func (w *workload) allReady(ctx context.Context, timeout time.Duration) error {
	// A list of every control plane costs the API server and the harness
	// in proportion to N: at 10 000 it is polled every 5 s.
	every := max(500*time.Millisecond, time.Duration(w.n)*500*time.Microsecond)
	for deadline := time.Now().Add(timeout); ; time.Sleep(every) {
		list := &controlplanev1beta1.CAPTControlPlaneList{}
		if err := w.h.c.List(ctx, list, client.InNamespace(w.ns)); err != nil {
			return err
		}
		ready := 0
		for i := range list.Items {
			if list.Items[i].Status.Ready {
				ready++
			}
		}
		if ready == w.n {
			return nil
		}
		if err := w.tracker.lost(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d control planes Ready after %s", ready, w.n, timeout)
		}
	}
}

// workspaceKey is control plane i's Workspace: namespaced when a real
// manager renders that kind (-workspace-scope Namespaced).
func (w *workload) workspaceKey(i int) types.NamespacedName {
	key := types.NamespacedName{Name: workspaceName(cpName(i))}
	if _, real := w.h.o.managerOf(w.kind); real && w.h.o.scopeOf(w.kind) == infrastructurev1beta1.WorkspaceScopeNamespaced {
		key.Namespace = w.ns
	}
	return key
}

// rendered waits until bin/manager has rendered the Workspace.
func (w *workload) rendered(ctx context.Context, key types.NamespacedName, timeout time.Duration) error {
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		_, err := testenv.GetWorkspace(ctx, w.h.c, key)
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			return err
		}
	}
}

// churn changes the outputs of random Workspaces at the churn rate; with
// contention, another writer updates other status fields of random control
// planes with plain updates at the same time.
func (w *workload) churn(ctx context.Context, contention bool) (int, error) {
	deadline := time.Now().Add(w.h.o.churn)
	var wg sync.WaitGroup
	var contentionErr error
	if contention {
		wg.Add(1)
		go func() {
			defer wg.Done()
			contentionErr = w.contend(ctx, deadline)
		}()
	}
	changes, err := w.changeAtRate(ctx, w.rng, deadline)
	wg.Wait()
	if err != nil {
		return changes, err
	}
	if contentionErr != nil {
		return changes, contentionErr
	}
	return changes, w.tracker.waitMirrored(w.n, w.seq, w.patience(2*time.Minute))
}

// changeAtRate changes random Workspaces (drawn from rng) at the churn rate
// until deadline.
func (w *workload) changeAtRate(ctx context.Context, rng *rand.Rand, deadline time.Time) (int, error) {
	interval := time.Duration(float64(time.Second) / w.h.o.churnRate)
	changes := 0
	for next := time.Now(); time.Now().Before(deadline); next = next.Add(interval) {
		time.Sleep(time.Until(next))
		w.mu.Lock()
		i := rng.IntN(w.n)
		w.mu.Unlock()
		if err := w.change(ctx, i); err != nil {
			return changes, err
		}
		changes++
	}
	return changes, nil
}

// contend is the rest of a reconciler: plain full-status updates of other
// fields, from a fresh read, retried on conflict.
func (w *workload) contend(ctx context.Context, deadline time.Time) error {
	interval := time.Duration(float64(time.Second) / w.h.o.contention)
	k := 0
	for next := time.Now(); time.Now().Before(deadline); next = next.Add(interval) {
		time.Sleep(time.Until(next))
		w.mu.Lock()
		i := w.rng.IntN(w.n)
		w.mu.Unlock()
		k++
		for attempt := 0; attempt < 5; attempt++ {
			cp := &controlplanev1beta1.CAPTControlPlane{}
			if err := w.h.c.Get(ctx, client.ObjectKey{Namespace: w.ns, Name: cpName(i)}, cp); err != nil {
				return err
			}
			cp.Status.FailureMessage = fmt.Sprintf("contention %d", k)
			cp.Status.Phase = controlplanev1beta1.PhaseCreating
			err := w.h.c.Status().Update(ctx, cp, client.FieldOwner("contending-reconciler"))
			if !apierrors.IsConflict(err) {
				if err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// change writes a new observation into Workspace i, as provider-terraform
// does: a plain status update.
func (w *workload) change(ctx context.Context, i int) error {
	w.locks[i].Lock()
	defer w.locks[i].Unlock()
	w.mu.Lock()
	w.seq[i]++
	seq := w.seq[i]
	w.mu.Unlock()
	return w.provide(ctx, i, observation(seq, w.h.o.outputBytes), func() { w.tracker.expect(cpName(i), seq, time.Now()) })
}

// provide writes observation obs into Workspace i as provider-terraform
// does (an empty one is a gap: not ready), calling sending just before each
// attempt. The caller holds the Workspace's lock.
func (w *workload) provide(ctx context.Context, i int, obs *runtime.RawExtension, sending func()) error {
	return testenv.ProvideOrGap(ctx, w.h.c, w.workspaceKey(i), obs, sending)
}

// observation is an atProvider of about size bytes: ten outputs with nested
// values; the checksum carries the sequence number.
func observation(seq, size int) *runtime.RawExtension {
	outputs := map[string]any{
		// The endpoint of an EKS cluster does not move; a change is in the
		// checksum and the nested tags.
		"cluster_endpoint":       "https://0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
		"cluster_name":           "bench",
		"cluster_arn":            "arn:aws:eks:ap-northeast-1:123456789012:cluster/bench",
		"oidc_provider_arn":      "arn:aws:iam::123456789012:oidc-provider/oidc.eks.ap-northeast-1.amazonaws.com/id/0123456789",
		"node_security_group_id": "sg-0123456789abcdef0",
		"subnet_ids":             []string{"subnet-0a", "subnet-0b", "subnet-0c", "subnet-0d", "subnet-0e", "subnet-0f"},
		"tags":                   map[string]any{"env": "bench", "team": "capt", "nested": map[string]any{"seq": seq, "ok": true}},
		"kubernetes_version":     "1.31",
		"node_count":             3,
	}
	raw, _ := json.Marshal(outputs)
	if pad := size - len(raw) - 100; pad > 0 {
		outputs["cluster_certificate_authority_data"] = strings.Repeat("Q", pad)
	}
	raw, _ = json.Marshal(map[string]any{"checksum": fmt.Sprintf("s-%d", seq), "outputs": outputs,
		"remoteSource": "git::https://example.com/eks.git?ref=v1"})
	return &runtime.RawExtension{Raw: raw}
}

// ceilings measures, at N control planes (and N Workspaces, each with an
// atProvider of the workloads' size), the status applies per second the API
// server accepts from a tight loop of -ceiling-workers: raw, from the
// harness with no watch; and fair, from a process that watches control
// planes and Workspaces with bin/manager's cache configuration, as any
// controller must. The objects are deleted afterwards: D watches every
// namespace.
func (h *harness) ceilings(ctx context.Context, n int) (raw, fair ceilingResult, err error) {
	ns := fmt.Sprintf("ceiling-%d", n)
	if err := h.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return raw, fair, err
	}
	defer h.cleanup(ctx, ns)
	for i := range n {
		if err := h.createControlPlane(ctx, ns, i); err != nil {
			return raw, fair, err
		}
		ws, err := h.createWorkspace(ctx, ns, i, ns+"-"+cpName(i))
		if err != nil {
			return raw, fair, err
		}
		ws.Status.AtProvider = observation(i, h.o.outputBytes)
		if err := h.c.Status().Update(ctx, ws); err != nil {
			return raw, fair, err
		}
	}

	machineBefore, processesBefore := machineCPU(), cpuOf(0)
	applies, err := applyLoop(ctx, h.c, ns, n, h.o.ceilingWorkers, h.o.ceilingFor, h.o.outputBytes)
	raw = ceilingResult{rate: float64(applies) / h.o.ceilingFor.Seconds(), applies: applies,
		busy: machineCPU().busySince(machineBefore), cpu: cpuOf(0).minus(processesBefore)}
	if err != nil {
		return raw, fair, err
	}

	fair, err = h.fairCeiling(ns, n)
	return raw, fair, err
}

// fairCeiling runs the fair ceiling's process (runCeiling) on control
// planes cp-0000 … of namespace ns.
func (h *harness) fairCeiling(ns string, n int) (ceilingResult, error) {
	// Behind the same recording proxy as the writers, so that the drain and
	// the fair ceiling pay the same way to the API server.
	kubeconfig, stopProxy, err := (&testenv.RequestLog{}).Proxy(h.cfg, h.dir)
	if err != nil {
		return ceilingResult{}, err
	}
	defer stopProxy()
	child, lines, err := startChild([]string{"-writer", writerCeiling, "-writer-kubeconfig", kubeconfig, "-namespace", ns,
		"-n", strconv.Itoa(n), "-ceiling", h.o.ceilingFor.String(), "-ceiling-workers", strconv.Itoa(h.o.ceilingWorkers),
		"-atprovider-bytes", strconv.Itoa(h.o.outputBytes)}, os.Stderr)
	if err != nil {
		return ceilingResult{}, err
	}
	defer func() { _ = child.Wait() }()
	machineBefore, processesBefore := machineCPU(), cpuOf(child.Process.Pid)
	if !lines.Scan() {
		return ceilingResult{}, fmt.Errorf("the ceiling process ended without a count")
	}
	// Read before the process exits, so that its CPU is still in /proc.
	busy, cpu := machineCPU().busySince(machineBefore), cpuOf(child.Process.Pid).minus(processesBefore)
	var applies int
	if _, err := fmt.Sscanf(lines.Text(), "APPLIED %d", &applies); err != nil {
		return ceilingResult{}, fmt.Errorf("the ceiling process said %q", lines.Text())
	}
	return ceilingResult{rate: float64(applies) / h.o.ceilingFor.Seconds(), applies: applies, busy: busy, cpu: cpu}, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
