package workspacestatus

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// The suite runs the real controller in a manager against envtest. Every
// request the manager sends goes through writeLog, so tests can count the
// writes to one object.
var (
	env      *testenv.Env
	writeLog = &requestLog{}
)

type requestLog struct {
	mu     sync.Mutex
	writes []string // "METHOD path"
}

type loggingTransport struct {
	next http.RoundTripper
	log  *requestLog
}

func (t *loggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		t.log.mu.Lock()
		t.log.writes = append(t.log.writes, req.Method+" "+req.URL.Path)
		t.log.mu.Unlock()
	}
	return t.next.RoundTrip(req)
}

// writesTo counts the manager's write requests whose path contains part.
func (l *requestLog) writesTo(part string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.writes {
		if strings.Contains(w, part) {
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
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &loggingTransport{next: rt, log: writeLog} })
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
