package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/manager"
	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
)

// writerCeiling is the child mode of the fair ceiling: the raw status-apply
// loop in a process that watches what a controller must watch.
const writerCeiling = "ceiling"

// runCeiling watches control planes and Workspaces with bin/manager's own
// cache configuration, and once synced sends status applies of the
// namespace's n control planes from a tight loop (workers at a time) for
// d. It prints READY when synced and APPLIED <count> at the end. Every
// apply comes back as a control-plane watch event this process decodes, as
// each of a controller's applies does: the fair ceiling for a controller's
// drain, where the watcher-free loop is not.
func runCeiling(kubeconfig, namespace string, n, workers int, d time.Duration, atProviderBytes int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	// bin/manager's client and cache configuration, so that its watches
	// cost what the manager's do.
	cfg = manager.RESTConfig(cfg, manager.DefaultOptions())
	cfg.QPS, cfg.Burst = 2000, 4000
	opts, err := manager.CacheOptions(manager.DefaultOptions(), manager.AllServed)
	if err != nil {
		return err
	}
	opts.Scheme = scheme.New()
	informers, err := cache.New(cfg, opts)
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	for _, obj := range []client.Object{&controlplanev1beta1.CAPTControlPlane{}, &tfv1beta1.Workspace{}} {
		if _, err := informers.GetInformer(ctx, obj); err != nil {
			return err
		}
	}
	go func() { _ = informers.Start(ctx) }()
	if !informers.WaitForCacheSync(ctx) {
		return fmt.Errorf("cache did not sync")
	}
	c, err := client.New(cfg, client.Options{Scheme: opts.Scheme})
	if err != nil {
		return err
	}
	fmt.Println("READY")
	applied, err := applyLoop(ctx, c, namespace, n, workers, d, atProviderBytes)
	fmt.Printf("APPLIED %d\n", applied)
	return err
}

// applyLoop sends status applies to control planes cp-0000 … of namespace
// from workers goroutines until d has passed, and returns how many the API
// server took.
func applyLoop(ctx context.Context, c client.Client, namespace string, n, workers int, d time.Duration, atProviderBytes int) (int, error) {
	deadline := time.Now().Add(d)
	var mu sync.Mutex
	total := 0
	var firstErr error
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := g; time.Now().Before(deadline); k += workers {
				raw, _ := json.Marshal(observation(k, atProviderBytes))
				ac := cpac.CAPTControlPlane(cpName(k%n), namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(
					cpac.WorkspaceStatus().WithReady(true).WithState("Available").WithAtProvider(runtime.RawExtension{Raw: raw})))
				err := c.Status().Apply(ctx, ac, client.FieldOwner("ceiling"), client.ForceOwnership)
				mu.Lock()
				if err != nil {
					firstErr = err
					mu.Unlock()
					return
				}
				total++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return total, firstErr
}
