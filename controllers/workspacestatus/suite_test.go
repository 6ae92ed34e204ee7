package workspacestatus

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// The suite runs the real controller in a manager against envtest. Every
// request the manager sends is recorded in requests, so tests can count
// the writes to one object.
var (
	env      *testenv.Env
	requests = &testenv.RequestLog{}
)

// writesToControlPlane counts the manager's writes to the control plane
// name in the test namespace.
func writesToControlPlane(name string) int {
	n := 0
	for _, r := range requests.Since(0) {
		if r.Write() && r.Namespace == ns && r.Name == name && strings.HasPrefix(r.Resource, "captcontrolplanes.") {
			n++
		}
	}
	return n
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if fuzzing() {
		// The fuzz targets are pure; every fuzz worker runs TestMain, and
		// must not start a control plane. Fuzz with -run '^$'.
		return m.Run()
	}
	ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	var err error
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()

	cfg := rest.CopyConfig(env.Config)
	cfg.Wrap(requests.Wrap)
	stop, err := env.StartManager(cfg, &Reconciler{})
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

func fuzzing() bool {
	fuzz, worker := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	return (fuzz != nil && fuzz.Value.String() != "") || (worker != nil && worker.Value.String() == "true")
}

func zapLevel() zapcore.Level {
	if os.Getenv("TEST_VERBOSE_LOGS") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel // keeps test output readable
}
