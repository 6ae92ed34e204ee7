package wholemanager

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestLeaseVerbsAreWhatLeaderElectionSends: the leader-election Role grants
// on Leases exactly the verbs bin/manager sends for them (acquire, renew,
// release on shutdown), no more.
func TestLeaseVerbsAreWhatLeaderElectionSends(t *testing.T) {
	g := NewWithT(t)
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "rbac", "leader_election_role.yaml"))
	g.Expect(err).NotTo(HaveOccurred())
	var granted []string
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		role := &rbacv1.Role{}
		g.Expect(yaml.Unmarshal([]byte(doc), role)).To(Succeed())
		if role.Kind != "Role" {
			continue
		}
		for _, rule := range role.Rules {
			if slices.Contains(rule.Resources, "leases") {
				granted = append(granted, rule.Verbs...)
			}
		}
	}

	testenv.InstallConfigDefault(t, env)
	p, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod, "--watch-filter", "leases")
	testenv.WaitControllersStarted(t, metricsURL)
	// A few renewals (the Deployment's retry period is 2 s).
	time.Sleep(5 * time.Second)
	p.Stop() // releases the lease
	sent := map[string]bool{}
	for _, r := range p.Requests.Since(0) {
		if r.Resource == "leases.coordination.k8s.io" {
			sent[r.Verb] = true
		}
	}
	var verbs []string
	for v := range sent {
		verbs = append(verbs, v)
	}
	g.Expect(verbs).To(ConsistOf(granted), "lease verbs sent against those granted")
	// Nothing it sent was refused: the leader-election Event goes to the
	// core Events API, which the Role grants too.
	log, err := os.ReadFile(p.Log)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(string(log)).NotTo(ContainSubstring("forbidden"))
}
