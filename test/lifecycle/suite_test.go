// Package lifecycle tests the whole control-plane flow against envtest with
// all four controllers running in one manager: CAPTControlPlane →
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
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/capt-controlplane/capt-controlplane/controllers/controlplane"
	"github.com/capt-controlplane/capt-controlplane/controllers/kubeconfig"
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

	if err := testenv.ProvideAWSCredentials(context.Background(), env.Client, "default"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	clock := func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }
	stop, err := env.StartManager(env.Config,
		&workspacestatus.Reconciler{},
		&controlplane.Reconciler{Now: clock},
		&workspacetemplateapply.Reconciler{},
		&kubeconfig.Reconciler{Now: clock},
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
	}
	return code
}
