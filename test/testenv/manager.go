package testenv

import (
	"context"
	"errors"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Controller is what every controller of the project offers.
type Controller interface {
	SetupWithManager(context.Context, ctrl.Manager, controller.Options) error
}

// StartManager runs the controllers in a manager on cfg (metrics off, two
// workers each) until stop is called, and returns once its caches synced.
func (e *Env) StartManager(cfg *rest.Config, controllers ...Controller) (stop func() error, err error) {
	skipNameValidation := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     e.Scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: &skipNameValidation},
	})
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
