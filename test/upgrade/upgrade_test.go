// Package upgrade proves the in-place upgrade from upstream CAPT: objects
// exactly as upstream's manager left them (managedFields included) are
// taken over by bin/manager with nothing lost, nothing stale and no write
// once settled.
package upgrade

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	syncPeriod       = 2 * time.Second
	namespace        = "default"
	controlPlaneName = "demo-cluster"
	applyName        = "demo-cluster-eks-controlplane-apply"
	workspaceName    = "demo-cluster-eks-controlplane"
	// The UIDs the objects had where the fixtures were read.
	fixtureClusterUID      = "ffb8ef9b-e585-430d-ba00-da930241cc34"
	fixtureControlPlaneUID = "ac6b6f62-784f-4fca-bbe2-7f3605d99972"
)

func TestUpgradeFromUpstream(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	c := env.Client
	installConfigDefault(t, env)
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), c, "aws-provider-config")).To(Succeed(), "the sample template's ProviderConfig")

	// The Cluster (served here as v1beta2), then the control plane and its
	// apply as upstream left them, with a failure upstream wrote and never
	// cleared, then the Workspace as provider-terraform reports it.
	paused := false
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: controlPlaneName, Namespace: namespace}, Spec: clusterv1.ClusterSpec{Paused: &paused}}
	g.Expect(c.Create(t.Context(), cluster)).To(Succeed())
	cp := fixture(t, "cp-before.yaml", "", map[string]string{fixtureClusterUID: string(cluster.UID)})
	withStaleFailure(t, cp)
	cpUID := createAsLeft(t, c, cp)
	apply := fixture(t, "wta-before.yaml", applyName, map[string]string{fixtureControlPlaneUID: string(cpUID)})
	createAsLeft(t, c, apply)
	atProvider, _, _ := unstructured.NestedMap(cp.Object, "status", "workspaceStatus", "atProvider")
	outputs, _ := atProvider["outputs"].(map[string]any)
	createWorkspace(t, c, apply)
	kubeconfig := upstreamKubeconfigSecret(cpUID)
	g.Expect(c.Create(t.Context(), kubeconfig, client.FieldOwner("manager"))).To(Succeed())
	g.Expect(testenv.Provide(t.Context(), c, types.NamespacedName{Name: workspaceName}, testenv.Observation{
		Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: atProvider["checksum"].(string), Outputs: outputs,
	})).To(Succeed())

	// The upgrade installs this release's CRDs: grants are new, and none
	// exists (upstream had none).
	testenv.InstallGrantsNow(t, env)

	// The manager replaces upstream's.
	manager, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod)
	testenv.WaitControllersStarted(t, metricsURL)
	testenv.WaitReconciles(t, metricsURL, 5, time.Minute)

	// Settled: three more rounds of resyncs send nothing.
	mark := manager.Requests.Mark()
	testenv.WaitReconciles(t, metricsURL, 3, time.Minute)
	writes := testenv.Writes(manager.Requests.Since(mark))
	g.Expect(testenv.CountByKey(writes)).To(BeEmpty(), "writes once settled")

	got := &controlplanev1beta1.CAPTControlPlane{}
	g.Expect(c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: controlPlaneName}, got)).To(Succeed())
	t.Run("atProvider untouched", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil())
		g.Expect(testenv.JSONEqual(testenv.MustJSON(string(got.Status.WorkspaceStatus.AtProvider.Raw)), atProvider)).To(BeTrue())
		events, err := testenv.Events(t.Context(), c, namespace, controlPlaneName, "WorkspaceStatusRestored")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(events).To(BeEmpty(), "no restore: nothing was lost")
	})
	t.Run("no stale status field", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(got.Status.FailureReason).To(BeEmpty(), "upstream's failure, which nobody sends any more")
		g.Expect(got.Status.FailureMessage).To(BeEmpty())
		g.Expect(got.Status.WorkspaceTemplateStatus).NotTo(BeNil())
		g.Expect(got.Status.WorkspaceTemplateStatus.LastAppliedRevision).NotTo(BeEmpty(), "kept: this project sends it too")
	})
	t.Run("control plane ownership", func(t *testing.T) {
		// The user's kubectl apply keeps the spec it wrote; what upstream's
		// manager owned is each field's manager's now; upstream's entry keeps
		// only the owner reference, which Cluster API wrote under the same
		// default name.
		g := NewWithT(t)
		byManager := entriesByManager(got)
		g.Expect(byManager).To(HaveLen(6), "%s", summary(got.ManagedFields))
		g.Expect(byManager).To(HaveKeyWithValue("capt-kubeconfig Apply status", testenv.Entry{Manager: "capt-kubeconfig", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status",
			FieldsV1: testenv.MustJSON(`{"f:status":{"f:conditions":{"k:{\"type\":\"KubeconfigReady\"}":{".":{},"f:lastTransitionTime":{},"f:message":{},` +
				`"f:observedGeneration":{},"f:reason":{},"f:status":{},"f:type":{}}}}}`)}))
		userEntry := testenv.Summarize(cp)[0]
		g.Expect(userEntry.Manager).To(Equal("kubectl-client-side-apply"))
		g.Expect(byManager).To(HaveKeyWithValue("kubectl-client-side-apply Update ", userEntry), "the user's spec stays the user's")
		g.Expect(byManager).To(HaveKeyWithValue("manager Update ", testenv.Entry{Manager: "manager", Operation: metav1.ManagedFieldsOperationUpdate,
			FieldsV1: testenv.MustJSON(`{"f:metadata":{"f:ownerReferences":{".":{},"k:{\"uid\":\"` + string(cluster.UID) + `\"}":{}}}}`)}))
		g.Expect(byManager).To(HaveKeyWithValue("capt-controlplane Apply ", testenv.Entry{Manager: "capt-controlplane", Operation: metav1.ManagedFieldsOperationApply,
			FieldsV1: testenv.MustJSON(`{"f:metadata":{"f:finalizers":{"v:\"controlplane.cluster.x-k8s.io/captcontrolplane\"":{}}},` +
				`"f:spec":{"f:controlPlaneEndpoint":{"f:host":{},"f:port":{}},"f:workspaceTemplateApplyName":{}}}`)}))
		g.Expect(byManager).To(HaveKeyWithValue("capt-workspace-status Apply status", testenv.Entry{Manager: "capt-workspace-status", Operation: metav1.ManagedFieldsOperationApply, Subresource: "status",
			FieldsV1: testenv.MustJSON(testenv.WorkspaceStatusFields)}), "atProvider as one value, as an apply owns it")
		status := byManager["capt-controlplane Apply status"].FieldsV1.(map[string]any)["f:status"].(map[string]any)
		g.Expect(testenv.Keys(status)).To(ConsistOf("f:conditions", "f:externalManagedControlPlane", "f:initialization", "f:initialized",
			"f:observedGeneration", "f:phase", "f:ready", "f:secretsReady", "f:version", "f:versions", "f:workspaceTemplateStatus"),
			"capt-controlplane owns the status it sends, upstream's stale failure not among it")
		g.Expect(status["f:workspaceTemplateStatus"]).To(Equal(testenv.MustJSON(`{"f:lastAppliedRevision":{},"f:ready":{},"f:state":{},"f:workspaceName":{}}`)))
	})
	t.Run("the recorded endpoint is not a moved one", func(t *testing.T) {
		// Upstream recorded the host with its scheme; the output is the
		// same endpoint: kept as recorded, no EndpointChanged.
		g := NewWithT(t)
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).To(Equal(cp.Object["spec"].(map[string]any)["controlPlaneEndpoint"].(map[string]any)["host"]))
		for _, c := range got.Status.Conditions {
			if c.Type == controlplanev1beta1.ConditionEndpointChanged {
				g.Expect(c.Status).To(Equal(metav1.ConditionFalse), c.Message)
			}
		}
		events, err := testenv.Events(t.Context(), c, namespace, controlPlaneName, controlplanev1beta1.ReasonEndpointChanged)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(events).To(BeEmpty())
	})
	t.Run("the running cluster keeps its provider configuration without a grant", func(t *testing.T) {
		// Its Workspace predates grants: the kubeconfig is signed (above:
		// an EKS token replaced upstream's) and the apply renders.
		g := NewWithT(t)
		ready := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionKubeconfigReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
		gotApply := &infrastructurev1beta1.WorkspaceTemplateApply{}
		g.Expect(c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: applyName}, gotApply)).To(Succeed())
		for _, cond := range gotApply.Status.Conditions {
			g.Expect(cond.Reason).NotTo(Equal(infrastructurev1beta1.ReasonProviderConfigNotGranted))
		}
		list := &infrastructurev1beta1.ProviderConfigGrantList{}
		g.Expect(c.List(t.Context(), list)).To(Succeed())
		g.Expect(list.Items).To(BeEmpty(), "the upgrade writes no grant")
	})
	t.Run("kubeconfig Secret ownership", func(t *testing.T) {
		g := NewWithT(t)
		secret := &corev1.Secret{}
		g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(kubeconfig), secret)).To(Succeed())
		g.Expect(string(secret.Data["value"])).To(ContainSubstring("token: k8s-aws-v1."), "this manager's kubeconfig: an EKS token")
		g.Expect(string(secret.Data["value"])).To(ContainSubstring("server: https://0123456789ABCDEF0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com:443\n"),
			"the recorded host without upstream's scheme")
		g.Expect(secret.Data).NotTo(HaveKey("stale"), "a key upstream wrote and nobody sends any more\n%s", summary(secret.ManagedFields))
		g.Expect(secret.ManagedFields).To(HaveLen(1), "%s", summary(secret.ManagedFields))
		g.Expect(secret.ManagedFields[0].Manager).To(Equal("capt-kubeconfig"))
	})
	t.Run("apply ownership", func(t *testing.T) {
		g := NewWithT(t)
		gotApply := &infrastructurev1beta1.WorkspaceTemplateApply{}
		g.Expect(c.Get(t.Context(), types.NamespacedName{Namespace: namespace, Name: applyName}, gotApply)).To(Succeed())
		g.Expect(gotApply.Finalizers).To(Equal([]string{infrastructurev1beta1.WorkspaceTemplateApplyFinalizer}), "upstream's finalizer is gone, or deletion would hang\n%s", summary(gotApply.ManagedFields))
		g.Expect(gotApply.Spec.Variables).NotTo(HaveKey("tags_Environment"), "upstream's variables are gone")
		byManager := entriesByManager(gotApply)
		g.Expect(byManager).To(HaveLen(3), "no entry of upstream's is left: %s", summary(gotApply.ManagedFields))
		g.Expect(byManager).To(HaveKeyWithValue("capt-workspacetemplateapply Apply ", testenv.Entry{Manager: "capt-workspacetemplateapply", Operation: metav1.ManagedFieldsOperationApply,
			FieldsV1: testenv.MustJSON(`{"f:metadata":{"f:finalizers":{"v:\"infrastructure.cluster.x-k8s.io/workspacetemplateapply\"":{}}}}`)}))
		g.Expect(byManager).To(HaveKeyWithValue("capt-controlplane Apply ", testenv.Entry{Manager: "capt-controlplane", Operation: metav1.ManagedFieldsOperationApply,
			FieldsV1: testenv.MustJSON(`{"f:metadata":{"f:labels":{"f:cluster.x-k8s.io/cluster-name":{},` +
				`"f:controlplane.cluster.x-k8s.io/captcontrolplane-name":{},"f:controlplane.cluster.x-k8s.io/captcontrolplane-namespace":{}},` +
				`"f:ownerReferences":{"k:{\"uid\":\"` + string(cpUID) + `\"}":{}}},` +
				`"f:spec":{"f:templateRef":{"f:name":{},"f:namespace":{}},"f:variables":{"f:additional_tags":{},"f:cluster_name":{},` +
				`"f:endpoint_private_access":{},"f:endpoint_public_access":{},"f:kubernetes_version":{},"f:kubernetes_version_full":{},"f:public_access_cidrs":{},"f:region":{}},` +
				`"f:writeConnectionSecretToRef":{"f:name":{},"f:namespace":{}}}}`)}))
		status := byManager["capt-workspacetemplateapply Apply status"].FieldsV1.(map[string]any)["f:status"].(map[string]any)
		g.Expect(testenv.Keys(status)).To(ConsistOf("f:applied", "f:conditions", "f:lastAppliedTime", "f:observedGeneration", "f:workspaceName"))
	})
}

// withStaleFailure adds what upstream left after a failed kubeconfig
// generation that later succeeded: a failure reason beside ready: true,
// owned by upstream's status entry.
func withStaleFailure(t *testing.T, cp *unstructured.Unstructured) {
	t.Helper()
	g := NewWithT(t)
	g.Expect(unstructured.SetNestedField(cp.Object, "KubeconfigGenerationFailed", "status", "failureReason")).To(Succeed())
	managed := cp.GetManagedFields()
	for i, e := range managed {
		if e.Manager == "manager" && e.Subresource == "status" {
			var fields map[string]any
			g.Expect(json.Unmarshal(e.FieldsV1.GetRawBytes(), &fields)).To(Succeed())
			fields["f:status"].(map[string]any)["f:failureReason"] = map[string]any{}
			raw, err := json.Marshal(fields)
			g.Expect(err).NotTo(HaveOccurred())
			managed[i].FieldsV1 = metav1.NewFieldsV1(string(raw))
		}
	}
	cp.SetManagedFields(managed)
}

// createWorkspace creates the Workspace upstream rendered for apply.
func createWorkspace(t *testing.T, c client.Client, apply *unstructured.Unstructured) {
	t.Helper()
	vars := []tfv1beta1.Var{}
	variables, _, _ := unstructured.NestedStringMap(apply.Object, "spec", "variables")
	for _, k := range []string{"cluster_name", "kubernetes_version", "region"} {
		vars = append(vars, tfv1beta1.Var{Key: k, Value: variables[k]})
	}
	ws := &tfv1beta1.Workspace{
		ObjectMeta: metav1.ObjectMeta{Name: workspaceName},
		// The sample template's ProviderConfig, as upstream renders it.
		Spec: tfv1beta1.WorkspaceSpec{ProviderConfigReference: &tfv1beta1.ProviderConfigReference{Name: "aws-provider-config"}, ForProvider: tfv1beta1.WorkspaceParameters{
			Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://github.com/terraform-aws-modules/terraform-aws-eks.git?ref=v20.31.0", Vars: vars,
		}},
	}
	NewWithT(t).Expect(c.Create(t.Context(), ws, client.FieldOwner("manager"))).To(Succeed())
}

// entriesByManager keys an object's summarized entries by manager,
// operation and subresource.
func entriesByManager(obj metav1.Object) map[string]testenv.Entry {
	out := map[string]testenv.Entry{}
	for _, e := range testenv.Summarize(obj) {
		out[e.Manager+" "+string(e.Operation)+" "+e.Subresource] = e
	}
	return out
}

func summary(in []metav1.ManagedFieldsEntry) string {
	raw, _ := json.MarshalIndent(testenv.SummarizeEntries(in), "", "  ")
	return string(raw)
}

// installConfigDefault installs config/default and the sample template, as
// a user does.
func installConfigDefault(t *testing.T, env *testenv.Env) {
	t.Helper()
	testenv.InstallConfigDefault(t, env)
	testenv.KubectlApply(t, env, "-f", filepath.Join(testenv.RepoRoot(), "config", "samples", "infrastructure_v1beta1_workspacetemplate.yaml"))
}

// upstreamKubeconfigSecret is a Cluster API kubeconfig Secret as an older
// writer left it, with a key this manager does not write.
func upstreamKubeconfigSecret(cpUID types.UID) *corev1.Secret {
	controller := true
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: controlPlaneName + "-kubeconfig", Namespace: namespace,
			Labels: map[string]string{clusterv1.ClusterNameLabel: controlPlaneName},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: controlplanev1beta1.GroupVersion.String(), Kind: "CAPTControlPlane", Name: controlPlaneName, UID: cpUID, Controller: &controller,
			}},
		},
		Type: clusterv1.ClusterSecretType,
		Data: map[string][]byte{"value": []byte("apiVersion: v1\nkind: Config\n"), "stale": []byte("x")},
	}
}
