package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"
	"k8s.io/client-go/tools/clientcmd"
)

// ServiceAccount names the ServiceAccount a process runs as.
type ServiceAccount struct{ Namespace, Name string }

// Process is a controller manager binary running out of cluster as a
// ServiceAccount, behind a proxy that records every request it sends.
type Process struct {
	// Requests holds every request the process sent.
	Requests *RequestLog
	// Log is the path of the file with the process's output.
	Log string

	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop ends the process as the kubelet does, with SIGTERM, and waits until
// it has exited (a manager then gives up its lease).
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
}

// StartProcess runs binary with --kubeconfig pointing at a recording proxy
// that impersonates sa, so that the process has exactly sa's RBAC. The
// process is killed when the test ends; its output is logged if the test
// failed.
func StartProcess(t testing.TB, env *Env, sa ServiceAccount, binary string, args ...string) *Process {
	t.Helper()
	g := gomega.NewWithT(t)
	dir := t.TempDir()
	adminKubeconfig, err := env.KubeconfigFile(dir)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	admin, err := os.ReadFile(adminKubeconfig)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	impersonating, err := ImpersonatingKubeconfigAs(admin, sa)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	upstream, err := clientcmd.RESTConfigFromKubeConfig(impersonating)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	p := &Process{Requests: &RequestLog{}, Log: filepath.Join(dir, filepath.Base(binary)+".log")}
	proxyKubeconfig, stopProxy, err := p.Requests.Proxy(upstream, dir)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	t.Cleanup(stopProxy)

	logFile, err := os.Create(p.Log)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	cmd := exec.Command(binary, append([]string{"--kubeconfig", proxyKubeconfig}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	g.Expect(cmd.Start()).To(gomega.Succeed(), "%s: run the make target that builds it first", binary)
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		_ = logFile.Close()
		if t.Failed() {
			raw, _ := os.ReadFile(p.Log)
			t.Logf("%s log:\n%s", binary, raw)
		}
	})
	return p
}

// ManagerBinary is the manager the whole-manager suites run: $CAPT_MANAGER
// when set (to run them against another build), else bin/manager.
func ManagerBinary() string {
	if binary := os.Getenv("CAPT_MANAGER"); binary != "" {
		return binary
	}
	return filepath.Join(RepoRoot(), "bin", "manager")
}

// StartManagerBinary runs ManagerBinary as config/default's ServiceAccount
// with the Deployment's flags, changing only the addresses, the metrics
// (plain HTTP, for the tests to read the reconcile counters) and the sync
// period, plus extraArgs and then $CAPT_MANAGER_ARGS (split at spaces; for
// experiments such as --concurrency=1). It returns the process and its metrics URL at
// once; WaitControllersStarted waits for it to lead. config/default must be
// installed.
func StartManagerBinary(t testing.TB, env *Env, syncPeriod time.Duration, extraArgs ...string) (*Process, string) {
	t.Helper()
	port, err := FreePort()
	gomega.NewWithT(t).Expect(err).NotTo(gomega.HaveOccurred())
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	p := StartProcess(t, env, Manager, ManagerBinary(), append([]string{
		"--leader-elect", "--leader-election-namespace", Manager.Namespace,
		"--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", port), "--metrics-secure=false",
		"--health-probe-bind-address", "0", "--sync-period", syncPeriod.String(),
	}, append(extraArgs, strings.Fields(os.Getenv("CAPT_MANAGER_ARGS"))...)...)...)
	return p, metricsURL
}

// WaitControllersStarted waits until the manager at metricsURL leads and
// runs every controller.
func WaitControllersStarted(t testing.TB, metricsURL string) {
	t.Helper()
	gomega.NewWithT(t).Eventually(func() bool { return ControllersStarted(metricsURL) }, 60*time.Second, 200*time.Millisecond).
		Should(gomega.BeTrue(), "the manager elects itself and starts its controllers")
}

// ControllersStarted reports whether the manager at metricsURL runs every
// resynced controller (a controller's reconcile counters appear when it
// starts, before its first reconcile).
func ControllersStarted(metricsURL string) bool {
	r, err := Reconciles(metricsURL)
	if err != nil {
		return false
	}
	for _, c := range ManagerControllers {
		if _, ok := r[c]; !ok {
			return false
		}
	}
	return true
}
