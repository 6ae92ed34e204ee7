package wholemanager

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacestatus"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	namespace     = "whole"
	controlPlanes = 3
	timeout       = 30 * time.Second
	poll          = 50 * time.Millisecond
)

// The keys writes are counted by (testenv.Request.Key).
const (
	mirrorApply       = "apply captcontrolplanes.controlplane.cluster.x-k8s.io/status (capt-workspace-status)"
	controlPlaneApply = "apply captcontrolplanes.controlplane.cluster.x-k8s.io/status (capt-controlplane)"
	applyStatusApply  = "apply workspacetemplateapplies.infrastructure.cluster.x-k8s.io/status (capt-workspacetemplateapply)"
	workspaceApplyOf  = "apply workspaces.%s (capt-workspacetemplateapply)"
	tokenSecretApply  = "apply secrets (capt-kubeconfig)"
	eventCreate       = "create events.events.k8s.io ()"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

func cpName(i int) string      { return fmt.Sprintf("cp-%d", i) }
func clusterName(i int) string { return fmt.Sprintf("cluster-%d", i) }

// workspaceKey is control plane i's Workspace, of the tests' scope.
func workspaceKey(i int) types.NamespacedName {
	return testenv.WorkspaceKey(namespace, cpName(i)+"-eks-controlplane")
}

// workspaceApply is the request key of a Workspace apply, of the tests'
// scope's group.
var workspaceApply = fmt.Sprintf(workspaceApplyOf, map[bool]string{true: "tf.m.upbound.io", false: "tf.upbound.io"}[testenv.WorkspaceScope() == infrastructurev1beta1.WorkspaceScopeNamespaced])

func outputs(i int) map[string]any {
	return map[string]any{
		"cluster_endpoint":                   fmt.Sprintf("https://cp%d.gr7.ap-northeast-1.eks.amazonaws.com", i),
		"cluster_name":                       clusterName(i),
		"node_count":                         3,
		"cluster_certificate_authority_data": "Y2EK",
	}
}

// TestWriteDiscipline drives three control planes through the whole flow
// (template → WorkspaceTemplateApply → Workspace → mirror, status and
// kubeconfig) and counts every write the manager sends at each step.
func TestWriteDiscipline(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	p := startManager(t, env)
	newNamespace(t, env, namespace)
	g.Expect(testenv.ProvideAWSCredentials(ctx, env.Client, "default")).To(Succeed())

	readsFrom := p.requests.Mark()
	template := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "eks", Namespace: namespace},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{WorkspaceScope: testenv.WorkspaceScope(), Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
			ForProvider: tfv1beta1.WorkspaceParameters{
				Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git", Entrypoint: "modules/eks",
				Vars: []tfv1beta1.Var{
					{Key: "cluster_name", Value: "${cluster_name}"},
					{Key: "region", Value: "${region}"},
					{Key: "kubernetes_version", Value: "${kubernetes_version}"},
				},
			},
		}}},
	}
	g.Expect(env.Client.Create(ctx, template)).To(Succeed())
	for i := range controlPlanes {
		paused := false
		cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: clusterName(i), Namespace: namespace}, Spec: clusterv1.ClusterSpec{Paused: &paused}}
		g.Expect(env.Client.Create(ctx, cluster)).To(Succeed())
		cp := &controlplanev1beta1.CAPTControlPlane{
			ObjectMeta: metav1.ObjectMeta{Name: cpName(i), Namespace: namespace, OwnerReferences: []metav1.OwnerReference{{
				APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID,
			}}},
			Spec: controlplanev1beta1.CAPTControlPlaneSpec{
				Version:              "1.31",
				WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
				ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
			},
		}
		g.Expect(env.Client.Create(ctx, cp)).To(Succeed())
	}

	// Convergence: provider-terraform reports every rendered Workspace ready.
	mark := p.requests.Mark()
	for i := range controlPlanes {
		g.Eventually(func() error {
			_, err := testenv.GetWorkspace(ctx, env.Client, workspaceKey(i))
			return err
		}, timeout, poll).Should(Succeed())
		g.Expect(testenv.Provide(ctx, env.Client, workspaceKey(i), testenv.Observation{
			Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: "v1", Outputs: outputs(i),
		})).To(Succeed())
	}
	for i := range controlPlanes {
		expectMirror(t, i, true, "v1")
		g.Eventually(func() error {
			return env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: clusterName(i) + "-kubeconfig"}, &corev1.Secret{})
		}, timeout, poll).Should(Succeed())
	}
	p.resyncs(t, 1)
	t.Logf("convergence of %d control planes, writes:\n%s", controlPlanes, testenv.FormatCounts(testenv.CountByKey(testenv.Writes(p.requests.Since(mark)))))
	p.readsOnlyWhatTheCacheCannotHold(t, readsFrom)
	p.noGzip(t)

	t.Run("steady state across three resyncs writes nothing", func(t *testing.T) {
		mark := p.requests.Mark()
		p.resyncs(t, 3)
		p.expectWrites(t, mark, nil)
	})

	t.Run("an atProvider change is one write: the mirror", func(t *testing.T) {
		mark := p.requests.Mark()
		changed := outputs(0)
		changed["node_count"] = 4
		NewWithT(t).Expect(testenv.Provide(ctx, env.Client, workspaceKey(0), testenv.Observation{
			Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: "v2", Outputs: changed,
		})).To(Succeed())
		expectMirror(t, 0, true, "v2")
		p.resyncs(t, 2)
		p.expectWrites(t, mark, map[string]int{mirrorApply: 1})
	})

	t.Run("a Workspace going not-ready is one status round, then nothing", func(t *testing.T) {
		mark := p.requests.Mark()
		NewWithT(t).Expect(testenv.Provide(ctx, env.Client, workspaceKey(1), testenv.Observation{
			Ready: false, Reason: "Unavailable", Checksum: "v1", Outputs: outputs(1),
		})).To(Succeed())
		expectMirror(t, 1, false, "v1")
		NewWithT(t).Eventually(func(g Gomega) {
			cp := getControlPlane(g, 1)
			g.Expect(cp.Status.Ready).To(BeFalse())
		}, timeout, poll).Should(Succeed())
		p.resyncs(t, 1)
		p.expectWrites(t, mark, map[string]int{mirrorApply: 1, controlPlaneApply: 1, applyStatusApply: 1})

		// Nothing is pending: no writes, and no reconcile asks to come back
		// on a clock (the Workspace's watch brings the next change).
		before, err := p.reconcileResults()
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		mark = p.requests.Mark()
		p.resyncs(t, 3)
		p.expectWrites(t, mark, nil)
		after, err := p.reconcileResults()
		NewWithT(t).Expect(err).NotTo(HaveOccurred())
		for _, c := range testenv.ManagerControllers {
			NewWithT(t).Expect(after[c]["requeue_after"]-before[c]["requeue_after"]).To(BeZero(), "timed requeues of %s", c)
		}
	})

	t.Run("one hostile status write is one repair and one Event", func(t *testing.T) {
		mark := p.requests.Mark()
		// An older client: reads fresh, drops the field it does not know,
		// writes the whole status back.
		NewWithT(t).Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cp := &controlplanev1beta1.CAPTControlPlane{}
			if err := env.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: cpName(2)}, cp); err != nil {
				return err
			}
			cp.Status.WorkspaceStatus = nil
			return env.Client.Status().Update(ctx, cp, client.FieldOwner("capt-v0.1"))
		})).To(Succeed())
		expectMirror(t, 2, true, "v1")
		p.resyncs(t, 2)
		p.expectWrites(t, mark, map[string]int{mirrorApply: 1, eventCreate: 1})

		events := &eventsv1.EventList{}
		NewWithT(t).Expect(env.Client.List(ctx, events, client.InNamespace(namespace))).To(Succeed())
		restored := 0
		for _, e := range events.Items {
			if e.Reason == workspacestatus.ReasonWorkspaceStatusRestored && e.Regarding.Name == cpName(2) {
				restored++
				NewWithT(t).Expect(e.Series).To(BeNil(), "a series: the Event was recorded more than once")
			}
		}
		NewWithT(t).Expect(restored).To(Equal(1))
	})

	t.Run("a field removed from the template leaves the Workspaces", func(t *testing.T) {
		mark := p.requests.Mark()
		editTemplate(t, template, func(params *tfv1beta1.WorkspaceParameters) { params.Entrypoint = "" })
		expectWorkspaces(t, func(g Gomega, forProvider map[string]any) { g.Expect(forProvider).NotTo(HaveKey("entrypoint")) })
		p.resyncs(t, 2)
		// Each Workspace once, each apply's lastAppliedTime with it, and each
		// control plane's lastAppliedRevision from that.
		p.expectWrites(t, mark, map[string]int{workspaceApply: controlPlanes, applyStatusApply: controlPlanes, controlPlaneApply: controlPlanes})
	})

	t.Run("a list item removed from the template leaves the Workspaces", func(t *testing.T) {
		mark := p.requests.Mark()
		editTemplate(t, template, func(params *tfv1beta1.WorkspaceParameters) { params.Vars = params.Vars[:2] })
		expectWorkspaces(t, func(g Gomega, forProvider map[string]any) { g.Expect(forProvider["vars"]).To(HaveLen(2)) })
		p.resyncs(t, 2)
		p.expectWrites(t, mark, map[string]int{workspaceApply: controlPlanes, applyStatusApply: controlPlanes, controlPlaneApply: controlPlanes})
	})

	t.Run("a deleted kubeconfig Secret is written again, and only ours are cached", func(t *testing.T) {
		key := client.ObjectKey{Namespace: namespace, Name: clusterName(0) + "-kubeconfig"}
		old := &corev1.Secret{}
		NewWithT(t).Expect(env.Client.Get(ctx, key, old)).To(Succeed())
		mark := p.requests.Mark()
		NewWithT(t).Expect(env.Client.Delete(ctx, old)).To(Succeed())
		NewWithT(t).Eventually(func(g Gomega) {
			s := &corev1.Secret{}
			g.Expect(env.Client.Get(ctx, key, s)).To(Succeed())
			g.Expect(s.UID).NotTo(Equal(old.UID))
		}, timeout, poll).Should(Succeed())
		p.resyncs(t, 1)
		p.expectWrites(t, mark, map[string]int{tokenSecretApply: 1})
		p.secretsSelected(t)
	})
}

// editTemplate changes the template's Terraform parameters.
func editTemplate(t *testing.T, template *infrastructurev1beta1.WorkspaceTemplate, edit func(*tfv1beta1.WorkspaceParameters)) {
	t.Helper()
	NewWithT(t).Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
		if err := env.Client.Get(t.Context(), client.ObjectKeyFromObject(template), tmpl); err != nil {
			return err
		}
		edit(&tmpl.Spec.Template.Spec.ForProvider)
		return env.Client.Update(t.Context(), tmpl)
	})).To(Succeed())
}

// expectWorkspaces waits until every Workspace's spec.forProvider (generic
// JSON: the two kinds differ elsewhere) passes check.
func expectWorkspaces(t *testing.T, check func(Gomega, map[string]any)) {
	t.Helper()
	for i := range controlPlanes {
		NewWithT(t).Eventually(func(g Gomega) {
			ws, err := testenv.GetWorkspace(t.Context(), env.Client, workspaceKey(i))
			g.Expect(err).NotTo(HaveOccurred())
			raw, err := json.Marshal(ws)
			g.Expect(err).NotTo(HaveOccurred())
			var obj struct {
				Spec struct {
					ForProvider map[string]any `json:"forProvider"`
				} `json:"spec"`
			}
			g.Expect(json.Unmarshal(raw, &obj)).To(Succeed())
			check(g, obj.Spec.ForProvider)
		}, timeout, poll).Should(Succeed(), "workspace %s", workspaceKey(i))
	}
}

// expectMirror waits until control plane i mirrors a Workspace with ready
// and checksum.
func expectMirror(t *testing.T, i int, ready bool, checksum string) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		cp := getControlPlane(g, i)
		ws := cp.Status.WorkspaceStatus
		g.Expect(ws).NotTo(BeNil())
		g.Expect(ws.Ready).To(Equal(ready))
		g.Expect(ws.AtProvider).NotTo(BeNil())
		var at struct {
			Checksum string `json:"checksum"`
		}
		g.Expect(json.Unmarshal(ws.AtProvider.Raw, &at)).To(Succeed())
		g.Expect(at.Checksum).To(Equal(checksum))
	}, timeout, poll).Should(Succeed())
}

func getControlPlane(g Gomega, i int) *controlplanev1beta1.CAPTControlPlane {
	cp := &controlplanev1beta1.CAPTControlPlane{}
	g.Expect(env.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: cpName(i)}, cp)).To(Succeed())
	return cp
}
