package capi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeversion"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// topologyNamespace holds the ClusterClass and its Clusters.
const topologyNamespace = "capi-topology"

// classManifests are a user's ClusterClass "eks" with its templates: the
// control plane from a CAPTControlPlaneTemplate (two of them, for
// rotation), a stand-in infrastructure, a region variable patched into the
// control plane, and the WorkspaceTemplate the control planes render.
func classManifests(controlPlaneTemplate string) string {
	return fmt.Sprintf(`apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: WorkspaceTemplate
metadata: {name: eks, namespace: %[1]s}
spec:
  template:
    spec:
      forProvider:
        source: Remote
        module: git::https://example.com/eks.git
        vars:
        - {key: cluster_name, value: "${cluster_name}"}
        - {key: cluster_version, value: "${kubernetes_version}"}
        - {key: region, value: "${region}"}
  writeConnectionSecretToRef: {name: "${WORKSPACE_NAME}-outputs"}
  workspaceScope: %[2]s
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: CAPTControlPlaneTemplate
metadata: {name: eks-v1, namespace: %[1]s}
spec:
  template:
    spec:
      workspaceTemplateRef: {name: eks}
      controlPlaneConfig: {region: us-east-1}
---
apiVersion: controlplane.cluster.x-k8s.io/v1beta1
kind: CAPTControlPlaneTemplate
metadata: {name: eks-v2, namespace: %[1]s}
spec:
  template:
    spec:
      workspaceTemplateRef: {name: eks}
      controlPlaneConfig: {region: us-east-1}
      additionalTags: {rotated: "yes"}
---
apiVersion: infrastructure.cluster.x-k8s.io/v1beta1
kind: TestInfraClusterTemplate
metadata: {name: eks, namespace: %[1]s}
spec:
  template:
    spec: {}
---
apiVersion: cluster.x-k8s.io/v1beta2
kind: ClusterClass
metadata: {name: eks, namespace: %[1]s}
spec:
  controlPlane:
    templateRef: {apiVersion: controlplane.cluster.x-k8s.io/v1beta1, kind: CAPTControlPlaneTemplate, name: %[3]s}
  infrastructure:
    templateRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta1, kind: TestInfraClusterTemplate, name: eks}
  variables:
  - name: region
    required: true
    schema:
      openAPIV3Schema: {type: string}
  patches:
  - name: region
    definitions:
    - selector:
        apiVersion: controlplane.cluster.x-k8s.io/v1beta1
        kind: CAPTControlPlaneTemplate
        matchResources: {controlPlane: true}
      jsonPatches:
      - op: replace
        path: /spec/template/spec/controlPlaneConfig/region
        valueFrom: {variable: region}
`, topologyNamespace, testenv.WorkspaceScope(), controlPlaneTemplate)
}

// topologyCluster is a Cluster of the class at version in region.
func topologyCluster(name, version, region string) string {
	return fmt.Sprintf(`apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata: {name: %s, namespace: %s}
spec:
  topology:
    classRef: {name: eks}
    version: %s
    variables:
    - {name: region, value: %q}
`, name, topologyNamespace, version, region)
}

// TestClusterClass creates clusters from a ClusterClass whose control
// plane is a CAPTControlPlaneTemplate, beside Cluster API's manager with
// ClusterTopology on: the topology creates the control plane, a variable
// reaches Terraform through a patch, a Kubernetes upgrade is reported done
// only once the played provider applied it, a template rotation changes
// the same control plane and Workspace, a 63-character Cluster name works,
// and deleting the Cluster removes everything.
func TestClusterClass(t *testing.T) {
	s := setUpTopology(t)
	g := NewWithT(t)
	g.Expect(s.env.Client.Create(t.Context(), namespaceObject(topologyNamespace))).To(Succeed())
	s.kubectlApply(t, classManifests("eks-v1"))

	name := "eks-a"
	s.kubectlApply(t, topologyCluster(name, "v1.31.0", "eu-west-1"))
	cp := s.waitTopologyControlPlane(t, name)

	t.Run("the topology creates the control plane, and its variable reaches Terraform", func(t *testing.T) {
		g := NewWithT(t)
		g.Expect(cp.Spec.Version).To(Equal("v1.31.0"))
		ws := s.waitTopologyWorkspace(t, cp, func(g Gomega, vars map[string]string) {
			g.Expect(vars).To(HaveKeyWithValue("region", "eu-west-1"))
			g.Expect(vars).To(HaveKeyWithValue("cluster_version", "1.31"), "EKS's form")
			g.Expect(vars).To(HaveKeyWithValue("cluster_name", name))
		})
		s.provideTopology(t, ws, name)
		g.Eventually(func(g Gomega) {
			cluster := &clusterv1.Cluster{}
			s.get(g, types.NamespacedName{Namespace: topologyNamespace, Name: name}, cluster)
			g.Expect(conditionStatus(cluster.Status.Conditions, clusterv1.ClusterControlPlaneAvailableCondition)).To(Equal(metav1.ConditionTrue))
			g.Expect(cluster.Status.ControlPlane).NotTo(BeNil())
			g.Expect(cluster.Status.ControlPlane.Versions).To(ConsistOf(clusterv1.StatusVersion{Version: "v1.31.0"}))
		}, timeout, poll).Should(Succeed())
	})

	t.Run("an upgrade is reported done only once Terraform applied it", func(t *testing.T) {
		g := NewWithT(t)
		s.mustKubectl(t, "-n", topologyNamespace, "patch", "cluster", name, "--type=merge", "-p", `{"spec":{"topology":{"version":"v1.32.0"}}}`)
		ws := s.waitTopologyWorkspace(t, cp, func(g Gomega, vars map[string]string) {
			g.Expect(vars).To(HaveKeyWithValue("cluster_version", "1.32"))
		})
		notYet := func(g Gomega) {
			got := &controlplanev1beta1.CAPTControlPlane{}
			s.get(g, client.ObjectKeyFromObject(cp), got)
			g.Expect(kubeversion.EKS(got.Status.Version)).To(Equal("1.31"))
			g.Expect(conditionStatus(got.Status.Conditions, controlplanev1beta1.ConditionRollingOut)).To(Equal(metav1.ConditionTrue))
			cluster := &clusterv1.Cluster{}
			s.get(g, types.NamespacedName{Namespace: topologyNamespace, Name: name}, cluster)
			g.Expect(cluster.Status.ControlPlane.Versions).To(ConsistOf(clusterv1.StatusVersion{Version: "v1.31.0"}))
		}
		g.Eventually(notYet, timeout, poll).Should(Succeed())
		g.Consistently(notYet, 3*time.Second, poll).Should(Succeed())
		s.provideTopology(t, ws, name)
		g.Eventually(func(g Gomega) {
			cluster := &clusterv1.Cluster{}
			s.get(g, types.NamespacedName{Namespace: topologyNamespace, Name: name}, cluster)
			g.Expect(cluster.Status.ControlPlane.Versions).To(ConsistOf(clusterv1.StatusVersion{Version: "v1.32.0"}))
		}, timeout, poll).Should(Succeed())
	})

	t.Run("a template rotation changes the same control plane and Workspace", func(t *testing.T) {
		g := NewWithT(t)
		before := s.waitTopologyWorkspace(t, cp, nil)
		s.kubectlApply(t, classManifests("eks-v2"))
		g.Eventually(func(g Gomega) {
			got := &controlplanev1beta1.CAPTControlPlane{}
			s.get(g, client.ObjectKeyFromObject(cp), got)
			g.Expect(got.UID).To(Equal(cp.UID))
			g.Expect(got.Spec.AdditionalTags).To(HaveKeyWithValue("rotated", "yes"))
		}, timeout, poll).Should(Succeed())
		after := s.waitTopologyWorkspace(t, cp, func(g Gomega, vars map[string]string) {
			g.Expect(vars).To(HaveKey("region"))
		})
		g.Expect(after.GetUID()).To(Equal(before.GetUID()), "one Terraform workspace")
	})

	t.Run("a 63-character Cluster name works", func(t *testing.T) {
		long := "eks-" + strings.Repeat("long", 14) + "-ab" // 63 characters
		g := NewWithT(t)
		g.Expect(long).To(HaveLen(63))
		s.kubectlApply(t, topologyCluster(long, "v1.31.0", "eu-west-1"))
		longCP := s.waitTopologyControlPlane(t, long)
		s.waitTopologyWorkspace(t, longCP, func(g Gomega, vars map[string]string) {
			g.Expect(vars).To(HaveKeyWithValue("cluster_name", long))
		})
	})

	t.Run("deleting the Cluster removes everything", func(t *testing.T) {
		g := NewWithT(t)
		s.mustKubectl(t, "-n", topologyNamespace, "delete", "cluster", name, "--wait=false")
		g.Eventually(func() bool {
			err := s.env.Client.Get(t.Context(), client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
			return err != nil && client.IgnoreNotFound(err) == nil
		}, timeout, poll).Should(BeTrue(), "the control plane deleted")
		g.Eventually(func() bool {
			_, err := testenv.GetWorkspace(t.Context(), s.env.Client, testenv.WorkspaceKey(topologyNamespace, workspaceNameOf(cp)))
			return err != nil && client.IgnoreNotFound(err) == nil
		}, timeout, poll).Should(BeTrue(), "the Workspace deleted")
	})
}

// setUpTopology is setUp with Cluster API's topology controller on and the
// stand-in infrastructure's template kind.
func setUpTopology(t *testing.T) *suite {
	return setUpWith(t, []string{"--feature-gates=ClusterTopology=true"}, testenv.InfrastructureTemplateCRD())
}

// waitTopologyControlPlane waits for the control plane the topology
// creates for cluster, owned by it.
func (s *suite) waitTopologyControlPlane(t *testing.T, cluster string) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	var cp *controlplanev1beta1.CAPTControlPlane
	NewWithT(t).Eventually(func(g Gomega) {
		list := &controlplanev1beta1.CAPTControlPlaneList{}
		g.Expect(s.env.Client.List(t.Context(), list, client.InNamespace(topologyNamespace),
			client.MatchingLabels{clusterv1.ClusterNameLabel: cluster})).To(Succeed())
		g.Expect(list.Items).To(HaveLen(1))
		cp = &list.Items[0]
		g.Expect(controlplanev1beta1.OwnerClusterName(cp)).To(Equal(cluster))
	}, timeout, poll).Should(Succeed())
	return cp
}

func workspaceNameOf(cp *controlplanev1beta1.CAPTControlPlane) string {
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: cp.EffectiveWorkspaceTemplateApplyName()}}
	return apply.WorkspaceName()
}

// waitTopologyWorkspace waits for cp's Workspace whose vars pass check.
func (s *suite) waitTopologyWorkspace(t *testing.T, cp *controlplanev1beta1.CAPTControlPlane, check func(Gomega, map[string]string)) metav1.Object {
	t.Helper()
	key := testenv.WorkspaceKey(topologyNamespace, workspaceNameOf(cp))
	var ws metav1.Object
	NewWithT(t).Eventually(func(g Gomega) {
		got, err := testenv.GetWorkspace(t.Context(), s.env.Client, key)
		g.Expect(err).NotTo(HaveOccurred())
		ws = got
		if check != nil {
			check(g, testenv.VarsOf(got))
		}
	}, timeout, poll).Should(Succeed())
	return ws
}

// provideTopology plays provider-terraform for a topology cluster's
// Workspace: ready, at an endpoint of its own.
func (s *suite) provideTopology(t *testing.T, ws metav1.Object, cluster string) {
	t.Helper()
	NewWithT(t).Expect(testenv.Provide(t.Context(), s.env.Client, types.NamespacedName{Namespace: ws.GetNamespace(), Name: ws.GetName()}, testenv.Observation{
		Ready: true, Reason: "Available", Checksum: "sum-" + cluster,
		Outputs: map[string]any{"cluster_endpoint": "https://" + endpointHost(cluster), "cluster_name": cluster},
	})).To(Succeed())
}

func namespaceObject(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
