package capi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	namespace = "capi-e2e"
	timeout   = 60 * time.Second
	poll      = 100 * time.Millisecond
)

// templateManifest is a user's WorkspaceTemplate for cluster.
func templateManifest(cluster, moduleRef string) string {
	return fmt.Sprintf(`apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: WorkspaceTemplate
metadata:
  name: %[1]s-eks
  namespace: %[2]s
spec:
  template:
    spec:
      forProvider:
        source: Remote
        module: git::https://example.com/eks.git?ref=%[3]s
        vars:
        - key: cluster_name
          value: ${cluster_name}
        - key: cluster_version
          value: ${kubernetes_version}
        - key: region
          value: ${region}
  writeConnectionSecretToRef:
    name: ${WORKSPACE_NAME}-outputs
  workspaceScope: %[4]s
`, cluster, namespace, moduleRef, testenv.WorkspaceScope())
}

// controlPlaneManifest is a user's control plane for cluster.
func controlPlaneManifest(cluster, version string) string {
	return fmt.Sprintf(`apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: CAPTControlPlane
metadata:
  name: %[1]s-control-plane
  namespace: %[2]s
spec:
  version: %[3]q
  workspaceTemplateRef:
    name: %[1]s-eks
  controlPlaneConfig:
    region: ap-northeast-1
`, cluster, namespace, version)
}

// clusterManifest is a Cluster without infrastructure (Cluster API v1.14
// allows it) whose control plane is cluster's CAPTControlPlane.
func clusterManifest(cluster string) string {
	return fmt.Sprintf(`apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: %[1]s
  namespace: %[2]s
spec:
  controlPlaneRef:
    apiGroup: controlplane.cluster.x-k8s.io
    kind: CAPTControlPlane
    name: %[1]s-control-plane
`, cluster, namespace)
}

func controlPlaneKey(cluster string) types.NamespacedName {
	return types.NamespacedName{Namespace: namespace, Name: cluster + "-control-plane"}
}

func applyKey(cluster string) types.NamespacedName {
	cp := &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: controlPlaneKey(cluster).Name}}
	return types.NamespacedName{Namespace: namespace, Name: cp.EffectiveWorkspaceTemplateApplyName()}
}

// workspaceKey is the Workspace of cluster's control plane, of the tests'
// scope (testenv.WorkspaceScope).
func workspaceKey(cluster string) types.NamespacedName {
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: applyKey(cluster).Name}}
	return testenv.WorkspaceKey(namespace, apply.WorkspaceName())
}

func endpointHost(cluster string) string { return cluster + ".gr7.ap-northeast-1.eks.amazonaws.com" }

// provide plays provider-terraform for cluster's Workspace: an EKS
// cluster at endpointHost(cluster).
func (s *suite) provide(t *testing.T, cluster string, ready bool) {
	t.Helper()
	s.provideEndpoint(t, cluster, ready, "https://"+endpointHost(cluster), []byte("ca of "+cluster))
}

// provideEndpoint plays provider-terraform for cluster's Workspace with the
// given endpoint and CA; the EKS cluster is named as the Cluster.
func (s *suite) provideEndpoint(t *testing.T, cluster string, ready bool, endpoint string, ca []byte) {
	t.Helper()
	reason := tfv1beta1.ReasonAvailable
	if !ready {
		reason = "Unavailable"
	}
	NewWithT(t).Expect(testenv.Provide(t.Context(), s.env.Client, workspaceKey(cluster), testenv.Observation{
		Ready: ready, Reason: reason, Checksum: "sum-" + cluster,
		Outputs: map[string]any{
			"cluster_endpoint":                   endpoint,
			"cluster_name":                       cluster,
			"cluster_certificate_authority_data": base64.StdEncoding.EncodeToString(ca),
		},
	})).To(Succeed())
}

// get reads an object, failing through g (inside Eventually, a retry).
func (s *suite) get(g Gomega, key types.NamespacedName, obj client.Object) {
	g.Expect(s.env.Client.Get(context.Background(), key, obj)).To(Succeed())
}

// conditionStatus is the status of a condition, "" when absent.
func conditionStatus(conditions []metav1.Condition, conditionType string) metav1.ConditionStatus {
	if c := meta.FindStatusCondition(conditions, conditionType); c != nil {
		return c.Status
	}
	return ""
}

func conditionReason(conditions []metav1.Condition, conditionType string) string {
	if c := meta.FindStatusCondition(conditions, conditionType); c != nil {
		return c.Reason
	}
	return ""
}

// forProvider is the Workspace's spec.forProvider (both kinds have it).
func forProvider(ws tfv1beta1.AnyWorkspace) tfv1beta1.WorkspaceParameters {
	raw, _ := json.Marshal(ws)
	var obj struct {
		Spec struct {
			ForProvider tfv1beta1.WorkspaceParameters `json:"forProvider"`
		} `json:"spec"`
	}
	_ = json.Unmarshal(raw, &obj)
	return obj.Spec.ForProvider
}

// specOf is the Workspace's spec as JSON values.
func specOf(t *testing.T, ws tfv1beta1.AnyWorkspace) map[string]any {
	t.Helper()
	raw, err := json.Marshal(ws)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var obj struct {
		Spec map[string]any `json:"spec"`
	}
	NewWithT(t).Expect(json.Unmarshal(raw, &obj)).To(Succeed())
	return obj.Spec
}

// clusterNameVar is the Workspace's cluster_name input.
func clusterNameVar(ws tfv1beta1.AnyWorkspace) string {
	for _, v := range forProvider(ws).Vars {
		if v.Key == "cluster_name" {
			return v.Value
		}
	}
	return ""
}

func TestClusterAPIContract(t *testing.T) {
	s := setUp(t)
	s.mustKubectl(t, "create", "namespace", namespace)

	t.Run("Cluster API owns, reads and mirrors the control plane", func(t *testing.T) { s.provisioned(t, "alpha") })
	t.Run("ControlPlaneAvailable follows the Workspace both ways", func(t *testing.T) { s.availability(t, "alpha") })
	t.Run("a control plane created before its Cluster renders nothing until owned", func(t *testing.T) { s.ownerFirst(t, "beta") })
	t.Run("pause holds spec, template and deletion", func(t *testing.T) { s.pause(t, "gamma") })
	t.Run("clusterctl describe shows the control plane ready", func(t *testing.T) { s.describe(t, "alpha") })
	t.Run("Cluster API connects to the workload cluster with the token kubeconfig", func(t *testing.T) { s.connects(t, "delta") })
	t.Run("deleting the Clusters deletes everything and releases every finalizer", func(t *testing.T) { s.deletion(t, "alpha", "beta", "delta") })
	t.Run("cluster_name never changes once a Workspace exists", func(t *testing.T) {
		s.clusterNameFixed(t, map[types.NamespacedName]string{workspaceKey("alpha"): "alpha", workspaceKey("beta"): "beta", workspaceKey("gamma"): "gamma", workspaceKey("delta"): "delta"})
	})
	t.Run("status.workspaceStatus is owned by capt-workspace-status alone, throughout", s.mirrorOwnedAlone)
	t.Run("Cluster API never writes the control plane's status", s.clusterAPIWritesNoStatus)
}
