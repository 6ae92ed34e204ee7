package lifecycle

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	timeout = 20 * time.Second
	poll    = 25 * time.Millisecond
)

func newNamespace(t *testing.T, name string) string {
	t.Helper()
	NewWithT(t).Expect(env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	return name
}

func newTemplate(t *testing.T, ns, name string, vars ...tfv1beta1.Var) {
	t.Helper()
	if len(vars) == 0 {
		vars = []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}, {Key: "region", Value: "${region}"}}
	}
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{
			Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
				ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git", Vars: vars},
			}},
			WriteConnectionSecretToRef: &infrastructurev1beta1.SecretReference{Name: "${WORKSPACE_NAME}-outputs"},
			WorkspaceScope:             testenv.WorkspaceScope(),
		},
	}
	NewWithT(t).Expect(env.Client.Create(t.Context(), tmpl)).To(Succeed())
}

// newTemplateUnservedField creates a template with a field that the
// installed generation of provider-terraform (testenv) does not serve:
// publishConnectionDetailsTo on v1, remotePullPolicy on v0. It returns the
// template's name and the field's path.
func newTemplateUnservedField(t *testing.T, ns, name string) (string, string) {
	t.Helper()
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{
			Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
				ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git"},
			}},
		},
	}
	tmpl.Spec.WorkspaceScope = testenv.WorkspaceScope()
	field := testenv.WithUnservedField(&tmpl.Spec.Template.Spec)
	NewWithT(t).Expect(env.Client.Create(t.Context(), tmpl)).To(Succeed())
	return name, field
}

// newCluster creates a Cluster API Cluster (no controller runs for it).
func newCluster(t *testing.T, ns, name string) *clusterv1.Cluster {
	t.Helper()
	paused := false
	c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: clusterv1.ClusterSpec{Paused: &paused}}
	NewWithT(t).Expect(env.Client.Create(t.Context(), c)).To(Succeed())
	return c
}

// newControlPlane creates a control plane from the template "eks", owned by
// cluster, or by a new Cluster of its own name when nil: Cluster API is
// installed here, and a control plane renders nothing until it has one.
func newControlPlane(t *testing.T, ns, name string, cluster *clusterv1.Cluster, mutate ...func(*controlplanev1beta1.CAPTControlPlane)) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	if cluster == nil {
		cluster = newCluster(t, ns, name)
	}
	cp := &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{
			Version:              "1.31",
			WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"},
			ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"},
		},
	}
	cp.OwnerReferences = []metav1.OwnerReference{ownerReference(cluster)}
	for _, m := range mutate {
		m(cp)
	}
	NewWithT(t).Expect(env.Client.Create(t.Context(), cp, client.FieldOwner("test-user"))).To(Succeed())
	return cp
}

// get reads an object, failing through g (inside Eventually, a retry).
func get[T client.Object](g Gomega, key types.NamespacedName, obj T) T {
	g.Expect(env.Client.Get(context.Background(), key, obj)).To(Succeed())
	return obj
}

// waitWorkspace waits until the Workspace exists and returns it.
func waitWorkspace(t *testing.T, ns, name string) tfv1beta1.AnyWorkspace {
	t.Helper()
	key := testenv.WorkspaceKey(ns, name)
	ws := testenv.NewWorkspace(key)
	NewWithT(t).Eventually(func() error {
		return env.Client.Get(t.Context(), key, ws)
	}, timeout, poll).Should(Succeed())
	return ws
}

// specOf is a Workspace's spec as generic JSON: the two kinds differ there.
func specOf(g Gomega, ws tfv1beta1.AnyWorkspace) map[string]any {
	raw, err := json.Marshal(ws)
	g.Expect(err).NotTo(HaveOccurred())
	var obj struct {
		Spec map[string]any `json:"spec"`
	}
	g.Expect(json.Unmarshal(raw, &obj)).To(Succeed())
	return obj.Spec
}

// getWorkspace reads the Workspace ws again (inside Eventually, a retry).
func getWorkspace(g Gomega, ws tfv1beta1.AnyWorkspace) tfv1beta1.AnyWorkspace {
	key := client.ObjectKeyFromObject(ws)
	return get(g, key, testenv.NewWorkspace(key))
}

// provide plays provider-terraform: the Workspace ready, with outputs.
// The CA is a sensitive output, as EKS modules commonly mark it: it reaches
// the connection Secret only.
func provide(t *testing.T, ws tfv1beta1.AnyWorkspace, outputs map[string]any) {
	t.Helper()
	NewWithT(t).Expect(testenv.Provide(t.Context(), env.Client, client.ObjectKeyFromObject(ws), testenv.Observation{
		Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: "sum-ready", Outputs: outputs,
		Sensitive: []string{kubeconfigs.OutputCA},
	})).To(Succeed())
}

func findTFCondition(conditions []tfv1beta1.Condition, t tfv1beta1.ConditionType) *tfv1beta1.Condition {
	return tfv1beta1.FindCondition(conditions, t)
}

// fieldsOf returns the parsed fieldsV1 of the entry of manager on
// subresource, failing when there is not exactly one.
func fieldsOf(g Gomega, obj metav1.Object, manager, subresource string) map[string]any {
	var found []map[string]any
	for _, e := range obj.GetManagedFields() {
		if e.Manager == manager && e.Subresource == subresource {
			g.Expect(e.Operation).To(Equal(metav1.ManagedFieldsOperationApply), "%s on %q", manager, subresource)
			var v map[string]any
			g.Expect(json.Unmarshal(e.FieldsV1.GetRawBytes(), &v)).To(Succeed())
			found = append(found, v)
		}
	}
	g.Expect(found).To(HaveLen(1), "entries of %s on %q", manager, subresource)
	return found[0]
}

func ownerReference(cluster *clusterv1.Cluster) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID}
}

// waitCondition waits until the control plane has a condition of
// conditionType that passes check.
func waitCondition(t *testing.T, cp *controlplanev1beta1.CAPTControlPlane, conditionType string, check func(Gomega, *metav1.Condition)) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
		c := meta.FindStatusCondition(got.Status.Conditions, conditionType)
		g.Expect(c).NotTo(BeNil(), conditionType)
		check(g, c)
	}, timeout, poll).Should(Succeed())
}

// mergePatch applies a JSON merge patch to obj, as a user would.
func mergePatch(t *testing.T, obj client.Object, patch string) {
	t.Helper()
	NewWithT(t).Expect(env.Client.Patch(t.Context(), obj, client.RawPatch(types.MergePatchType, []byte(patch)))).To(Succeed())
}
