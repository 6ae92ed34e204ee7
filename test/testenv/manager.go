package testenv

import (
	"context"
	"errors"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	"github.com/capt-controlplane/capt-controlplane/internal/manager"
)

// Controller is what every controller of the project offers.
type Controller interface {
	SetupWithManager(context.Context, ctrl.Manager, controller.Options) error
}

// StartManager runs the controllers in a manager on cfg until stop is
// called, and returns once its caches synced. The manager is configured as
// bin/manager's (internal/manager: the same scheme, cache and client
// options, its REST config) with the default flags, except that metrics, probes and leader
// election are off and each controller runs two workers.
func (e *Env) StartManager(cfg *rest.Config, controllers ...Controller) (stop func() error, err error) {
	o := manager.DefaultOptions()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	mgrOptions, err := manager.RuntimeOptions(o, manager.AllServed)
	if err != nil {
		return nil, err
	}
	skipNameValidation := true // several managers in one test process
	mgrOptions.Controller = config.Controller{SkipNameValidation: &skipNameValidation}
	mgr, err := ctrl.NewManager(manager.RESTConfig(cfg, o), mgrOptions)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, c := range controllers {
		if err := c.SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: 2}); err != nil {
			cancel()
			return nil, err
		}
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		cancel()
		return nil, errors.Join(errors.New("the manager's cache did not sync"), <-done)
	}
	return func() error { cancel(); return <-done }, nil
}
