package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const namespace = "chaos"

// The faults, in the order they are dealt: two per segment.
var faultKinds = []string{"kill the leader", "restart kube-apiserver", "kill a random replica", "kill the leader"}

// quietPoint is one check with writers and faults paused.
type quietPoint struct {
	at         time.Duration // since the start
	converged  time.Duration // how long until every mirror was current and owned
	violations []string
}

type harness struct {
	o        options
	env      *testenv.Env
	check    *checker
	tally    *tally
	writers  *writers
	replicas []*replica
	leaders  *leadership
	start    time.Time
	quiet    []quietPoint
	faults   map[string]int
	log      func(format string, args ...any)
}

func run(o options) (bool, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "capt-chaos-")
	if err != nil {
		return false, err
	}
	keep := false
	defer func() {
		if keep {
			fmt.Println("chaos: manager logs kept in", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	if abs, err := filepath.Abs(o.assets); err == nil {
		_ = os.Setenv("KUBEBUILDER_ASSETS", abs)
	}
	manager, err := filepath.Abs(o.manager)
	if err != nil {
		return false, err
	}
	certDir := filepath.Join(dir, "apiserver")
	if err := os.Mkdir(certDir, 0o700); err != nil {
		return false, err
	}
	env, err := testenv.StartRestartable(certDir)
	if err != nil {
		return false, err
	}
	defer func() { _ = env.Stop() }()
	kubeconfig, err := env.KubeconfigFile(dir)
	if err != nil {
		return false, err
	}

	h := &harness{o: o, env: env, check: newChecker(), tally: &tally{}, leaders: &leadership{}, start: time.Now(), faults: map[string]int{}}
	h.log = func(format string, args ...any) {
		if o.verbose {
			fmt.Printf("%7.1fs  %s\n", time.Since(h.start).Seconds(), fmt.Sprintf(format, args...))
		}
	}
	names, err := h.setup(ctx)
	if err != nil {
		return false, err
	}
	h.writers = &writers{c: env.Client, ns: namespace, names: names, check: h.check, tally: h.tally,
		seq: make([]int, len(names)), stale: map[string]controlplanev1beta1.CAPTControlPlaneStatus{}}
	if err := h.watch(ctx); err != nil {
		return false, err
	}

	// Two replicas of the real manager, supervised.
	mgrCtx, stopManagers := context.WithCancel(ctx)
	var mgrs sync.WaitGroup
	for _, name := range []string{"replica-a", "replica-b"} {
		r, err := newReplica(name, manager, kubeconfig, dir, namespace)
		if err != nil {
			stopManagers()
			return false, err
		}
		h.replicas = append(h.replicas, r)
		mgrs.Add(1)
		go r.supervise(mgrCtx, &mgrs)
	}
	go h.leaders.follow(mgrCtx, h.replicas)
	defer func() { stopManagers(); mgrs.Wait() }()

	// The first observation of every Workspace, once the managers rendered them.
	for _, cp := range names {
		if err := h.waitWorkspace(ctx, cp); err != nil {
			return false, err
		}
		if err := h.writers.provide(ctx, cp, observationFor(cp, 0)); err != nil {
			return false, err
		}
	}
	h.quietPoint(ctx)

	master := rand.New(rand.NewPCG(uint64(o.seed), 2))
	for done, segment := time.Duration(0), 0; done < o.duration && ctx.Err() == nil; segment++ {
		length := min(o.segment, o.duration-done)
		h.chaos(ctx, master, segment, length)
		done += length
		h.quietPoint(ctx)
	}
	stopManagers()
	mgrs.Wait()
	ok, err := h.report(time.Since(h.start))
	keep = !ok
	return ok, err
}

// setup creates the namespace, the template and the control planes.
func (h *harness) setup(ctx context.Context) ([]string, error) {
	c := h.env.Client
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return nil, err
	}
	if err := testenv.GrantEveryNamespace(ctx, c, "default"); err != nil {
		return nil, err
	}
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "eks", Namespace: namespace},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: testenv.WorkspaceScope(), Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git",
				Vars: []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}}},
		}}},
	}
	if err := c.Create(ctx, tmpl); err != nil {
		return nil, err
	}
	var names []string
	for i := range h.o.n {
		// Cluster API is installed here: each control plane has the Cluster
		// it waits for before anything is rendered.
		paused := false
		cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cluster-%03d", i), Namespace: namespace},
			Spec: clusterv1.ClusterSpec{Paused: &paused}}
		if err := c.Create(ctx, cluster); err != nil {
			return nil, err
		}
		cp := &controlplanev1beta1.CAPTControlPlane{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cp-%03d", i), Namespace: namespace, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID,
			}}},
			Spec: controlplanev1beta1.CAPTControlPlaneSpec{
				Version:              "1.31",
				WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
				ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
			},
		}
		if err := c.Create(ctx, cp); err != nil {
			return nil, err
		}
		names = append(names, cp.Name)
	}
	return names, nil
}

// watch feeds every control plane version to the checker.
func (h *harness) watch(ctx context.Context) error {
	informers, err := cache.New(h.env.Config, cache.Options{Scheme: h.env.Scheme, DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return err
	}
	inf, err := informers.GetInformer(ctx, &controlplanev1beta1.CAPTControlPlane{})
	if err != nil {
		return err
	}
	observe := func(obj any) {
		if cp, ok := obj.(*controlplanev1beta1.CAPTControlPlane); ok {
			h.check.observed(cp)
		}
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: observe, UpdateFunc: func(_, obj any) { observe(obj) },
	}); err != nil {
		return err
	}
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		return fmt.Errorf("the watch did not sync")
	}
	return nil
}

func (h *harness) waitWorkspace(ctx context.Context, cp string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := testenv.GetWorkspace(ctx, h.env.Client, workspaceOf(cp))
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the managers did not render the Workspace of %s: %w", cp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// chaos runs churn, hostile writers and two faults for length.
func (h *harness) chaos(ctx context.Context, master *rand.Rand, segment int, length time.Duration) {
	segCtx, cancel := context.WithTimeout(ctx, length)
	defer cancel()
	var wg sync.WaitGroup
	for _, job := range []struct {
		rate  float64
		write func(context.Context, *rand.Rand)
	}{{h.o.churnRate, h.writers.churn}, {h.o.hostile, h.writers.hostile}} {
		rng := rand.New(rand.NewPCG(master.Uint64(), master.Uint64()))
		wg.Add(1)
		go func() { defer wg.Done(); h.writers.run(segCtx, rng, job.rate, job.write) }()
	}
	for k := 1; k <= 2; k++ {
		at := length * time.Duration(k) / 3
		jitter := time.Duration(master.Int64N(int64(length/6) + 1))
		kind := faultKinds[(2*segment+k-1)%len(faultKinds)]
		pick := master.IntN(len(h.replicas))
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-segCtx.Done():
				return
			case <-time.After(at - length/12 + jitter):
			}
			h.inject(kind, pick)
		}()
	}
	<-segCtx.Done()
	wg.Wait()
}

func (h *harness) inject(kind string, pick int) {
	switch kind {
	case "kill the leader":
		leader := h.leaders.current()
		for _, r := range h.replicas {
			if r.name == leader && r.kill() {
				h.faults[kind]++
				h.check.fault("killed leader " + r.name)
				h.log("killed the leader %s", r.name)
				return
			}
		}
		h.log("no leader to kill")
	case "kill a random replica":
		r := h.replicas[pick]
		if r.kill() {
			h.faults[kind]++
			h.check.fault("killed " + r.name)
			h.log("killed %s", r.name)
		}
	case "restart kube-apiserver":
		h.check.fault("kube-apiserver stopped")
		h.log("stopping kube-apiserver")
		if err := h.env.StopAPIServer(); err != nil {
			h.log("kube-apiserver killed: %v", err) // SIGKILL after 5 s without stopping
		}
		time.Sleep(3 * time.Second)
		if err := h.env.StartAPIServer(); err != nil {
			fmt.Fprintln(os.Stderr, "chaos: starting kube-apiserver again:", err)
			os.Exit(1) // nothing can be checked without it
		}
		h.faults[kind]++
		h.check.fault("kube-apiserver started")
		h.log("kube-apiserver is back")
	}
}

// quietPoint waits, with writers and faults paused, until every mirror is
// current and owned by capt-workspace-status alone, for at most the bound.
func (h *harness) quietPoint(ctx context.Context) {
	began := time.Now()
	q := quietPoint{at: began.Sub(h.start)}
	deadline := began.Add(h.o.faultBound)
	for {
		q.violations = h.violations(ctx)
		if len(q.violations) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	q.converged = time.Since(began)
	h.quiet = append(h.quiet, q)
	h.log("quiet point: converged in %v, %d violations", q.converged.Round(time.Millisecond), len(q.violations))
}

// violations compares every live control plane with the truth.
func (h *harness) violations(ctx context.Context) []string {
	list := &controlplanev1beta1.CAPTControlPlaneList{}
	if err := h.env.Client.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return []string{"listing: " + err.Error()}
	}
	// The list is what a relist of the watch would deliver.
	for i := range list.Items {
		h.check.observed(&list.Items[i])
	}
	var out []string
	if ok, open := h.check.converged(); !ok {
		out = append(out, fmt.Sprintf("%d loss windows still open", open))
	}
	for i := range list.Items {
		cp := &list.Items[i]
		if got, want := mirroredValue(cp), h.check.latestOf(cp.Name); got != want {
			held := "(no Workspace)"
			if ws, err := testenv.GetWorkspace(ctx, h.env.Client, workspaceOf(cp.Name)); err == nil {
				held = checksumOf(observedValue(ws.Observed().AtProvider))
			}
			var managers []string
			for _, e := range cp.ManagedFields {
				managers = append(managers, e.Manager+"/"+string(e.Operation)+"/"+e.Subresource)
			}
			out = append(out, fmt.Sprintf("%s (rv %s): mirror checksum %q, want %q (the Workspace holds %q); managers %v",
				cp.Name, cp.ResourceVersion, checksumOf(got), checksumOf(want), held, managers))
		}
		if err := ownership(cp); err != nil {
			out = append(out, err.Error())
		}
	}
	return out
}

func checksumOf(canonicalJSON string) string {
	var v struct {
		Checksum string `json:"checksum"`
	}
	_ = json.Unmarshal([]byte(canonicalJSON), &v)
	return v.Checksum
}
