package testenv

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"

	"github.com/capt-controlplane/capt-controlplane/internal/manager"
)

// StartManager runs the controllers in a manager on cfg until stop is
// called, and returns once its caches synced. The manager is bin/manager's
// (internal/manager: the same scheme and cache configuration) with the
// default flags, except that metrics and probes are off, leader election is
// off and each controller runs two workers.
func (e *Env) StartManager(cfg *rest.Config, controllers ...manager.Controller) (stop func() error, err error) {
	o := manager.DefaultOptions()
	o.MetricsAddr, o.ProbeAddr, o.Concurrency = "0", "0", 2
	mgrOptions, err := manager.ManagerOptions(o)
	if err != nil {
		return nil, err
	}
	skipNameValidation := true // several managers in one test process
	mgrOptions.Controller = config.Controller{SkipNameValidation: &skipNameValidation}
	mgr, err := ctrl.NewManager(cfg, mgrOptions)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	named := map[string]manager.Controller{}
	for i, c := range controllers {
		named[fmt.Sprintf("%d:%T", i, c)] = c
	}
	if err := manager.Setup(ctx, mgr, o, named); err != nil {
		cancel()
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		cancel()
		return nil, errors.Join(errors.New("the manager's cache did not sync"), <-done)
	}
	return func() error { cancel(); return <-done }, nil
}
