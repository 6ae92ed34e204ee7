// Command manager runs the capt-controlplane controllers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/capt-controlplane/capt-controlplane/controllers/controlplane"
	"github.com/capt-controlplane/capt-controlplane/controllers/kubeconfig"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacestatus"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacetemplateapply"
	"github.com/capt-controlplane/capt-controlplane/internal/fairqueue"
	"github.com/capt-controlplane/capt-controlplane/internal/grants"
	"github.com/capt-controlplane/capt-controlplane/internal/manager"
)

func main() {
	var o manager.Options
	o.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(manager.NewLogger(o))
	if err := run(o); err != nil {
		ctrl.Log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

func run(o manager.Options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	cfg = manager.RESTConfig(cfg, o)
	ctx := ctrl.SetupSignalHandler()
	mgr, err := newManager(ctx, cfg, o)
	if err != nil {
		return err
	}
	ctrl.Log.WithName("setup").Info("starting manager", "namespace", o.Namespace, "watchFilter", o.WatchFilter, "leaderElect", o.LeaderElect)
	return mgr.Start(ctx)
}

// newManager builds the process manager (leader election, metrics, the
// probes) whose leader runs the four controllers in generations, one for
// each set of the other projects' CRDs it finds (manager.Generations): it
// starts whatever is installed and follows what is installed later.
func newManager(ctx context.Context, cfg *rest.Config, o manager.Options) (ctrl.Manager, error) {
	mgr, err := ctrl.NewManager(cfg, manager.ProcessOptions(o))
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	generations := &manager.Generations{Config: cfg, Options: o, CRDs: mgr.GetCache(),
		Setup: func(ctx context.Context, mgr ctrl.Manager) error { return setupControllers(ctx, mgr, o) }}
	if err := generations.Watch(ctx); err != nil {
		return nil, err
	}
	if err := mgr.Add(generations); err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("reconciles", generations.Healthy); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("controllers", generations.Ready); err != nil {
		return nil, err
	}
	return mgr, nil
}

// setupControllers adds the four controllers to a generation's manager.
func setupControllers(ctx context.Context, mgr ctrl.Manager, o manager.Options) error {
	// Read once per generation, before its cache starts: grants decide
	// only for Workspaces rendered after they were installed.
	grantsInstalled, err := grants.InstalledAt(ctx, mgr.GetAPIReader())
	if err != nil {
		return err
	}
	controllers := map[string]interface {
		SetupWithManager(context.Context, ctrl.Manager, controller.Options) error
	}{
		workspacestatus.ControllerName:        &workspacestatus.Reconciler{Namespace: o.Namespace, MaxAtProviderBytes: o.MaxAtProvider},
		controlplane.ControllerName:           &controlplane.Reconciler{},
		workspacetemplateapply.ControllerName: &workspacetemplateapply.Reconciler{GrantsInstalled: grantsInstalled},
		kubeconfig.ControllerName:             &kubeconfig.Reconciler{GrantsInstalled: grantsInstalled},
	}
	for name, c := range controllers {
		if err := c.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: o.Concurrency, NewQueue: fairqueue.New}); err != nil {
			return fmt.Errorf("setting up the %s controller: %w", name, err)
		}
	}
	return nil
}
