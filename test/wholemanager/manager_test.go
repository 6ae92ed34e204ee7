// Package wholemanager proves the write discipline of bin/manager as
// shipped: the binary itself, with the Deployment's flags, running as its
// ServiceAccount with config/default's RBAC, behind a proxy that records
// every request it sends.
package wholemanager

import (
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// syncPeriod is short so that a test sees several resyncs of every object.
const syncPeriod = 2 * time.Second

// process is bin/manager running behind the counting proxy.
type process struct {
	requests   *testenv.RequestLog
	metricsURL string
}

// startManager installs config/default (namespace, RBAC, CRDs) and starts
// the manager binary with the Deployment's flags; the test's changes to
// them are addresses, insecure metrics (so the test can read the reconcile
// counters) and the sync period.
func startManager(t *testing.T, env *testenv.Env) *process {
	t.Helper()
	testenv.InstallConfigDefault(t, env)

	manager, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod)
	testenv.WaitControllersStarted(t, metricsURL)
	return &process{requests: manager.Requests, metricsURL: metricsURL}
}

// reconciles reads the manager's reconcile counters per controller.
func (p *process) reconciles() (map[string]int, error) { return testenv.Reconciles(p.metricsURL) }

// reconcileResults reads them per controller and result.
func (p *process) reconcileResults() (map[string]map[string]int, error) {
	return testenv.ReconcileResults(p.metricsURL)
}

// resyncs waits until every controller has reconciled each of its objects
// (one per control plane) at least rounds more times with no write in between: everything a change
// set in motion has run, and the reconciles after it found nothing to do.
// A round that saw a write is not counted (the event-driven reconciles of a
// change alone can reach the count). It waits on the manager's own counters
// and request log, not on a clock. A manager that never stops writing is
// left to the caller's write count after five tries.
func (p *process) resyncs(t *testing.T, rounds int) {
	t.Helper()
	for range 5 {
		before, err := p.reconciles()
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		mark := p.requests.Mark()
		NewWithT(t).Eventually(func(g Gomega) {
			now, err := p.reconciles()
			g.Expect(err).NotTo(HaveOccurred())
			for _, c := range testenv.ManagerControllers {
				g.Expect(now[c]-before[c]).To(BeNumerically(">=", controlPlanes*rounds), "reconciles of %s", c)
			}
		}, time.Duration(rounds+10)*syncPeriod*3, 100*time.Millisecond).Should(Succeed())
		if len(testenv.Writes(p.requests.Since(mark))) == 0 {
			return
		}
	}
}

// expectWrites checks that the writes since mark are exactly want, by
// verb, resource and field manager.
func (p *process) expectWrites(t *testing.T, mark int, want map[string]int) {
	t.Helper()
	writes := testenv.Writes(p.requests.Since(mark))
	got := testenv.CountByKey(writes)
	if want == nil {
		want = map[string]int{}
	}
	var each strings.Builder
	for _, w := range writes {
		fmt.Fprintf(&each, "  %s %s/%s\n", w.Key(), w.Namespace, w.Name)
	}
	NewWithT(t).Expect(got).To(Equal(want), "writes of the whole manager:\n%s\neach, in order:\n%s", testenv.FormatCounts(got), each.String())
}

// readsOnlyWhatTheCacheCannotHold checks that every get the manager sent
// from mark on is of a kind its cache does not hold whole: Secrets (it
// caches only its own) and provider-terraform's ProviderConfigs, which the
// kubeconfig controller reads by name. Objects the manager created or
// renders are read from its cache: a get of one is a request per control
// plane that a larger N pays in full.
func (p *process) readsOnlyWhatTheCacheCannotHold(t *testing.T, mark int) {
	t.Helper()
	reads := map[string]int{}
	for _, r := range p.requests.Since(mark) {
		if r.Verb == "get" {
			reads[r.Resource]++
		}
	}
	delete(reads, "secrets")
	// The provider configuration a Workspace names, of either kind.
	for _, pc := range []string{"providerconfigs.tf.upbound.io", "providerconfigs.tf.m.upbound.io", "clusterproviderconfigs.tf.m.upbound.io"} {
		delete(reads, pc)
	}
	NewWithT(t).Expect(reads).To(BeEmpty(), "gets the manager sent to the API server, by resource")
}

// secretsSelected checks that every list and watch of Secrets the manager
// sent carries a label selector: it never caches every Secret.
func (p *process) secretsSelected(t *testing.T) {
	t.Helper()
	for _, r := range p.requests.Since(0) {
		if r.Resource == "secrets" && (r.Verb == "list" || r.Verb == "watch") {
			NewWithT(t).Expect(r.LabelSelector).NotTo(BeEmpty(), "%s of every Secret in the cluster", r.Verb)
		}
	}
}

// noGzip checks that no request the manager sent asked for a gzipped
// response: the API server would gzip every event of its watch streams
// (internal/manager.RESTConfig).
func (p *process) noGzip(t *testing.T) {
	t.Helper()
	var gzip []testenv.Request
	for _, r := range p.requests.Since(0) {
		if r.Gzip {
			gzip = append(gzip, r)
		}
	}
	NewWithT(t).Expect(testenv.CountByKey(gzip)).To(BeEmpty(), "requests that asked for gzip")
}

func newNamespace(t *testing.T, env *testenv.Env, name string) {
	t.Helper()
	NewWithT(t).Expect(env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
}
