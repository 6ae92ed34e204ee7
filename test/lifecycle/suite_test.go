// Package lifecycle tests the whole control-plane flow against envtest with
// all three controllers running in one manager: CAPTControlPlane →
// WorkspaceTemplateApply → Workspace → Ready with endpoint and kubeconfig,
// hostile writers, deletion and name collisions. The tests play
// provider-terraform: they write the Workspace's status with plain updates.
package lifecycle

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/capt-controlplane/capt-controlplane/controllers/controlplane"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacestatus"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacetemplateapply"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

var (
	env *testenv.Env
	// clockOffset shifts the control plane controller's clock, to reach the
	// creation timeout without waiting for it.
	clockOffset atomic.Int64
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	level := zapcore.ErrorLevel
	if os.Getenv("TEST_VERBOSE_LOGS") != "" {
		level = zapcore.DebugLevel
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(level)))
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	skip := true
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:     env.Scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := controller.Options{MaxConcurrentReconciles: 2}
	clock := func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }
	for _, c := range []interface {
		SetupWithManager(context.Context, ctrl.Manager, controller.Options) error
	}{
		&workspacestatus.Reconciler{},
		&controlplane.Reconciler{Now: clock},
		&workspacetemplateapply.Reconciler{},
	} {
		if err := c.SetupWithManager(ctx, mgr, opts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		fmt.Fprintln(os.Stderr, "cache did not sync")
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}
