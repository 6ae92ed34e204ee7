package testenv

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/gomega"
)

// ReconcileResults reads controller_runtime_reconcile_total from a
// manager's plain-HTTP metrics endpoint, per controller and result
// (success, error, requeue, requeue_after).
func ReconcileResults(metricsURL string) (map[string]map[string]int, error) {
	resp, err := http.Get(metricsURL) //nolint:noctx,gosec // a local process the caller started
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	const metric = "controller_runtime_reconcile_total{"
	out := map[string]map[string]int{}
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		if !strings.HasPrefix(line, metric) {
			continue
		}
		labels, value, _ := strings.Cut(line[len(metric):], "} ")
		var controller, result string
		for _, l := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(l, "=")
			switch k {
			case "controller":
				controller = strings.Trim(v, `"`)
			case "result":
				result = strings.Trim(v, `"`)
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, err
		}
		if out[controller] == nil {
			out[controller] = map[string]int{}
		}
		out[controller][result] += int(n)
	}
	return out, scanner.Err()
}

// Reconciles is ReconcileResults summed over results.
func Reconciles(metricsURL string) (map[string]int, error) {
	byResult, err := ReconcileResults(metricsURL)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for controller, results := range byResult {
		for _, n := range results {
			out[controller] += n
		}
	}
	return out, nil
}

// ManagerControllers are bin/manager's resynced controllers, by their
// metric label. The kubeconfig controller is not among them: it acts on
// changes and on token deadlines, and no resync reaches it.
var ManagerControllers = []string{"workspacestatus", "controlplane", "workspacetemplateapply"}

// WaitReconciles waits until each of the manager's controllers has
// reconciled at least n more times than when it was called: whatever a
// change set in motion has been looked at, and resyncs found it settled.
func WaitReconciles(t testing.TB, metricsURL string, n int, timeout time.Duration) {
	t.Helper()
	g := gomega.NewWithT(t)
	before, err := Reconciles(metricsURL)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Eventually(func(g gomega.Gomega) {
		now, err := Reconciles(metricsURL)
		g.Expect(err).NotTo(gomega.HaveOccurred())
		for _, c := range ManagerControllers {
			g.Expect(now[c]-before[c]).To(gomega.BeNumerically(">=", n), "reconciles of %s", c)
		}
	}, timeout, 100*time.Millisecond).Should(gomega.Succeed())
}
