package testenv

import (
	"testing"

	"github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// CreateCAPTCluster creates in namespace a Cluster named name, not paused,
// whose control plane is the CAPTControlPlane of that name (Kubernetes
// 1.31 in ap-northeast-1, rendered from template), and that control plane
// owned by the Cluster, as Cluster API adopts it. It returns the Cluster.
func CreateCAPTCluster(t testing.TB, c client.Client, namespace, name, template string) *clusterv1.Cluster {
	t.Helper()
	g := gomega.NewWithT(t)
	paused := false
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Spec: clusterv1.ClusterSpec{
		Paused:          &paused,
		ControlPlaneRef: clusterv1.ContractVersionedObjectReference{APIGroup: controlplanev1beta1.GroupVersion.Group, Kind: "CAPTControlPlane", Name: name},
	}}
	g.Expect(c.Create(t.Context(), cluster)).To(gomega.Succeed())
	g.Expect(c.Create(t.Context(), ControlPlane(namespace, name, template, cluster))).To(gomega.Succeed())
	return cluster
}

// ControlPlane is the control plane namespace/name of ControlPlaneSpec,
// owned by cluster as Cluster API adopts it (not owned when nil).
func ControlPlane(namespace, name, template string, cluster *clusterv1.Cluster) *controlplanev1beta1.CAPTControlPlane {
	cp := &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Spec: ControlPlaneSpec(template)}
	if cluster != nil {
		cp.OwnerReferences = []metav1.OwnerReference{{APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster.Name, UID: cluster.UID}}
	}
	return cp
}

// ControlPlaneSpec is the tests' control plane: Kubernetes 1.31 in
// ap-northeast-1, rendered from template.
func ControlPlaneSpec(template string) controlplanev1beta1.CAPTControlPlaneSpec {
	return controlplanev1beta1.CAPTControlPlaneSpec{Version: "1.31",
		WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: template},
		ControlPlaneConfig:   &controlplanev1beta1.ControlPlaneConfig{Region: "ap-northeast-1"}}
}

// ReportProvisioned writes what Cluster API's controller reports of a
// provisioned Cluster (infrastructure provisioned, control plane
// initialized), where its controller does not run: clusterctl move
// refuses a Cluster still provisioning.
func ReportProvisioned(t testing.TB, c client.Client, cluster *clusterv1.Cluster) {
	t.Helper()
	provisioned := true
	cluster.Status.Initialization = clusterv1.ClusterInitializationStatus{InfrastructureProvisioned: &provisioned, ControlPlaneInitialized: &provisioned}
	cluster.Status.Conditions = []metav1.Condition{{Type: clusterv1.ClusterControlPlaneInitializedCondition, Status: metav1.ConditionTrue,
		Reason: clusterv1.ClusterControlPlaneInitializedReason, LastTransitionTime: metav1.Now()}}
	gomega.NewWithT(t).Expect(c.Status().Update(t.Context(), cluster)).To(gomega.Succeed())
}
