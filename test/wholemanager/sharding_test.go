package wholemanager

import (
	"fmt"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestShardsByWatchFilter runs Cluster API's way of spreading control
// planes over managers: two shards selected by --watch-filter, each with
// leader election, and a standby replica of one of them. Each shard
// converges exactly its control planes and writes nothing of the other's;
// the standby neither reconciles nor writes.
func TestShardsByWatchFilter(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	const ns = "shards"
	testenv.InstallConfigDefault(t, env)
	newNamespace(t, env, ns)
	g.Expect(testenv.ProvideAWSCredentials(ctx, env.Client, "default")).To(Succeed())
	g.Expect(env.Client.Create(ctx, &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "eks", Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: testenv.WorkspaceScope(), Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git",
				Vars: []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}}},
		}}},
	})).To(Succeed())

	shards := []string{"a", "b"}
	name := func(shard string, i int) string { return fmt.Sprintf("%s-cp-%d", shard, i) }
	for _, shard := range shards {
		for i := range 2 {
			labels := map[string]string{clusterv1.WatchLabel: shard}
			paused := false
			cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-cluster-%d", shard, i), Namespace: ns, Labels: labels},
				Spec: clusterv1.ClusterSpec{Paused: &paused}}
			g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
			g.Expect(env.Client.Create(ctx, &controlplanev1beta1.CAPTControlPlane{
				ObjectMeta: metav1.ObjectMeta{Name: name(shard, i), Namespace: ns, Labels: labels, OwnerReferences: []metav1.OwnerReference{{
					APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID,
				}}},
				Spec: controlplanev1beta1.CAPTControlPlaneSpec{
					Version:              "1.31",
					WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
					ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
				},
			})).To(Succeed())
		}
	}

	leaders := map[string]*testenv.Process{}
	for _, shard := range shards {
		p, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod, "--watch-filter", shard)
		testenv.WaitControllersStarted(t, metricsURL)
		leaders[shard] = p
	}
	standby, standbyMetrics := testenv.StartManagerBinary(t, env, syncPeriod, "--watch-filter", "a")

	for _, shard := range shards {
		for i := range 2 {
			ws := testenv.WorkspaceKey(ns, name(shard, i)+"-eks-controlplane")
			g.Eventually(func() error { _, err := testenv.GetWorkspace(ctx, env.Client, ws); return err }, timeout, poll).Should(Succeed())
			g.Expect(testenv.Provide(ctx, env.Client, ws, testenv.Observation{
				Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: "v1",
				Outputs: map[string]any{"cluster_endpoint": "https://" + name(shard, i) + ".example.com", "cluster_certificate_authority_data": "Y2EK"},
			})).To(Succeed())
		}
	}
	for _, shard := range shards {
		for i := range 2 {
			g.Eventually(func(g Gomega) {
				cp := &controlplanev1beta1.CAPTControlPlane{}
				g.Expect(env.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name(shard, i)}, cp)).To(Succeed())
				g.Expect(cp.Status.Ready).To(BeTrue())
				g.Expect(cp.Status.WorkspaceStatus).NotTo(BeNil())
			}, timeout, poll).Should(Succeed(), "%s converges", name(shard, i))
		}
	}

	for shard, p := range leaders {
		writes := 0
		for _, w := range testenv.Writes(p.Requests.Since(0)) {
			if w.Resource == "events.events.k8s.io" || w.Namespace == "capt-system" {
				continue
			}
			writes++
			g.Expect(strings.HasPrefix(w.Name, shard+"-")).To(BeTrue(), "shard %s wrote %s %s/%s", shard, w.Key(), w.Namespace, w.Name)
		}
		g.Expect(writes).To(BeNumerically(">", 0), "shard %s wrote its own objects", shard)
	}
	// The standby ran through the whole convergence without leading.
	g.Expect(testenv.CountByKey(testenv.Writes(standby.Requests.Since(0)))).To(BeEmpty(), "the standby writes nothing")
	reconciles, err := testenv.Reconciles(standbyMetrics)
	g.Expect(err).NotTo(HaveOccurred())
	for _, c := range testenv.ManagerControllers {
		g.Expect(reconciles[c]).To(BeZero(), "the standby reconciles nothing (%s)", c)
	}
}
