package capi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// provisioned: Cluster API sets the owner reference and label, copies the
// endpoint, reads initialization and availability, reaches Provisioned and
// copies the versions.
func (s *suite) provisioned(t *testing.T, cluster string) {
	g := NewWithT(t)
	s.kubectlApply(t, templateManifest(cluster, "v1")+"---\n"+clusterManifest(cluster)+"---\n"+controlPlaneManifest(cluster, "1.31"))

	c := &clusterv1.Cluster{}
	g.Eventually(func(g Gomega) {
		s.get(g, types.NamespacedName{Namespace: namespace, Name: cluster}, c)
		cp := &controlplanev1beta1.CAPTControlPlane{}
		s.get(g, controlPlaneKey(cluster), cp)
		g.Expect(cp.OwnerReferences).To(ContainElement(metav1.OwnerReference{
			APIVersion: clusterv1.GroupVersion.String(), Kind: "Cluster", Name: cluster, UID: c.UID,
		}))
		g.Expect(cp.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, cluster))
	}, timeout, poll).Should(Succeed(), "Cluster API adopts the control plane")

	ws := testenv.NewWorkspace(workspaceKey(cluster))
	g.Eventually(func(g Gomega) { s.get(g, workspaceKey(cluster), ws) }, timeout, poll).Should(Succeed())
	g.Expect(clusterNameVar(ws)).To(Equal(cluster), "the Terraform cluster name is the Cluster's")
	s.provide(t, cluster, true)

	g.Eventually(func(g Gomega) {
		s.get(g, types.NamespacedName{Namespace: namespace, Name: cluster}, c)
		g.Expect(c.Spec.ControlPlaneEndpoint).To(Equal(clusterv1.APIEndpoint{Host: endpointHost(cluster), Port: 443}))
		g.Expect(conditionStatus(c.Status.Conditions, clusterv1.ClusterControlPlaneInitializedCondition)).To(Equal(metav1.ConditionTrue))
		g.Expect(conditionStatus(c.Status.Conditions, clusterv1.ClusterControlPlaneAvailableCondition)).To(Equal(metav1.ConditionTrue))
		g.Expect(c.Status.Phase).To(Equal(string(clusterv1.ClusterPhaseProvisioned)))
		g.Expect(c.Status.ControlPlane).NotTo(BeNil())
		g.Expect(c.Status.ControlPlane.Versions).To(HaveLen(1))
		g.Expect(c.Status.ControlPlane.Versions[0].Version).To(Equal("v1.31.0"))
	}, timeout, poll).Should(Succeed(), "Cluster API reads the control plane")
}

// availability: a Workspace that goes not-ready takes ControlPlaneAvailable
// to False (initialization stays) and the control plane to Degraded; ready
// again, both come back.
func (s *suite) availability(t *testing.T, cluster string) {
	g := NewWithT(t)
	expect := func(available metav1.ConditionStatus, phase controlplanev1beta1.Phase) {
		g.Eventually(func(g Gomega) {
			c := &clusterv1.Cluster{}
			s.get(g, types.NamespacedName{Namespace: namespace, Name: cluster}, c)
			g.Expect(conditionStatus(c.Status.Conditions, clusterv1.ClusterControlPlaneAvailableCondition)).To(Equal(available))
			g.Expect(conditionStatus(c.Status.Conditions, clusterv1.ClusterControlPlaneInitializedCondition)).To(Equal(metav1.ConditionTrue))
			cp := &controlplanev1beta1.CAPTControlPlane{}
			s.get(g, controlPlaneKey(cluster), cp)
			g.Expect(cp.Status.Phase).To(Equal(phase))
		}, timeout, poll).Should(Succeed())
	}
	s.provide(t, cluster, false)
	expect(metav1.ConditionFalse, controlplanev1beta1.PhaseDegraded)
	s.provide(t, cluster, true)
	expect(metav1.ConditionTrue, controlplanev1beta1.PhaseReady)
}

// ownerFirst: a control plane applied before its Cluster waits for it,
// saying so, and renders nothing; once owned it renders with the Cluster's
// name and initializes.
func (s *suite) ownerFirst(t *testing.T, cluster string) {
	g := NewWithT(t)
	s.kubectlApply(t, templateManifest(cluster, "v1")+"---\n"+controlPlaneManifest(cluster, "1.31"))
	s.resyncs(t, 2, 3)
	cp := &controlplanev1beta1.CAPTControlPlane{}
	s.get(g, controlPlaneKey(cluster), cp)
	g.Expect(conditionReason(cp.Status.Conditions, controlplanev1beta1.ConditionReady)).To(Equal(controlplanev1beta1.ReasonWaitingForCluster))
	err := s.env.Client.Get(t.Context(), applyKey(cluster), &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no WorkspaceTemplateApply before the Cluster: %v", err)
	err = s.env.Client.Get(t.Context(), workspaceKey(cluster), testenv.NewWorkspace(workspaceKey(cluster)))
	g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "no Workspace before the Cluster: %v", err)

	s.kubectlApply(t, clusterManifest(cluster))
	ws := testenv.NewWorkspace(workspaceKey(cluster))
	g.Eventually(func(g Gomega) { s.get(g, workspaceKey(cluster), ws) }, timeout, poll).Should(Succeed())
	g.Expect(clusterNameVar(ws)).To(Equal(cluster))
	s.provide(t, cluster, true)
	g.Eventually(func(g Gomega) {
		c := &clusterv1.Cluster{}
		s.get(g, types.NamespacedName{Namespace: namespace, Name: cluster}, c)
		g.Expect(conditionStatus(c.Status.Conditions, clusterv1.ClusterControlPlaneInitializedCondition)).To(Equal(metav1.ConditionTrue))
	}, timeout, poll).Should(Succeed())
}

// pause: with the Cluster paused, a new template, a new version and the
// control plane's deletion all wait; unpaused, the deletion goes through
// and takes the WorkspaceTemplateApply and Workspace with it.
func (s *suite) pause(t *testing.T, cluster string) {
	g := NewWithT(t)
	s.provisioned(t, cluster)
	wsKey := workspaceKey(cluster)
	before := testenv.NewWorkspace(wsKey)
	s.get(g, wsKey, before)
	applyBefore := &infrastructurev1beta1.WorkspaceTemplateApply{}
	s.get(g, applyKey(cluster), applyBefore)

	s.mustKubectl(t, "patch", "cluster", cluster, "-n", namespace, "--type", "merge", "-p", `{"spec":{"paused":true}}`)
	g.Eventually(func(g Gomega) {
		cp := &controlplanev1beta1.CAPTControlPlane{}
		s.get(g, controlPlaneKey(cluster), cp)
		g.Expect(conditionStatus(cp.Status.Conditions, controlplanev1beta1.ConditionPaused)).To(Equal(metav1.ConditionTrue))
	}, timeout, poll).Should(Succeed())

	s.kubectlApply(t, templateManifest(cluster, "v2"))
	s.kubectlApply(t, controlPlaneManifest(cluster, "1.32"))
	s.mustKubectl(t, "delete", "captcontrolplane", controlPlaneKey(cluster).Name, "-n", namespace, "--wait=false")
	s.resyncs(t, 3, 3)

	after := testenv.NewWorkspace(wsKey)
	s.get(g, wsKey, after)
	g.Expect(after.GetDeletionTimestamp()).To(BeNil(), "the Workspace is not deleted while paused")
	// The hold takes Delete out of the management policies (docs/move.md);
	// nothing else of the spec changes while paused.
	heldSpec, beforeSpec := specOf(t, after), specOf(t, before)
	g.Expect(heldSpec["managementPolicies"]).To(Equal([]any{"Observe", "Create", "Update", "LateInitialize"}))
	delete(heldSpec, "managementPolicies")
	delete(beforeSpec, "managementPolicies")
	g.Expect(heldSpec).To(Equal(beforeSpec), "the Workspace's spec is not changed while paused")
	g.Expect(forProvider(after).Module).To(HaveSuffix("ref=v1"))
	applyAfter := &infrastructurev1beta1.WorkspaceTemplateApply{}
	s.get(g, applyKey(cluster), applyAfter)
	g.Expect(applyAfter.DeletionTimestamp).To(BeNil(), "the WorkspaceTemplateApply is not deleted while paused")
	g.Expect(applyAfter.Generation).To(Equal(applyBefore.Generation), "the WorkspaceTemplateApply's spec is not changed while paused")
	cp := &controlplanev1beta1.CAPTControlPlane{}
	s.get(g, controlPlaneKey(cluster), cp)
	g.Expect(cp.DeletionTimestamp).NotTo(BeNil())
	g.Expect(cp.Finalizers).NotTo(BeEmpty(), "the control plane waits, deleting, for the pause to end")

	s.mustKubectl(t, "patch", "cluster", cluster, "-n", namespace, "--type", "merge", "-p", `{"spec":{"paused":false}}`)
	g.Eventually(func() bool {
		return apierrors.IsNotFound(s.env.Client.Get(t.Context(), controlPlaneKey(cluster), &controlplanev1beta1.CAPTControlPlane{})) &&
			apierrors.IsNotFound(s.env.Client.Get(t.Context(), applyKey(cluster), &infrastructurev1beta1.WorkspaceTemplateApply{})) &&
			apierrors.IsNotFound(s.env.Client.Get(t.Context(), wsKey, testenv.NewWorkspace(wsKey)))
	}, timeout, poll).Should(BeTrue(), "unpaused, the deletion completes")
	s.mustKubectl(t, "delete", "cluster", cluster, "-n", namespace, "--wait=true", "--timeout=60s")
}

// describe: clusterctl, built from the same module, shows the control plane
// with its Available condition True (the condition clusterctl picks for a
// control plane's row).
func (s *suite) describe(t *testing.T, cluster string) {
	g := NewWithT(t)
	var out string
	g.Eventually(func(g Gomega) {
		raw, err := clusterctl(s.kubeconfig, "describe", "cluster", cluster, "-n", namespace)
		g.Expect(err).NotTo(HaveOccurred(), raw)
		out = raw
		line := lineWith(out, "CAPTControlPlane "+controlPlaneKey(cluster).String())
		g.Expect(line).NotTo(BeEmpty(), out)
		g.Expect(strings.Fields(line)).To(ContainElement("True"), out)
	}, timeout, poll).Should(Succeed())
	t.Logf("clusterctl describe cluster %s:\n%s", cluster, out)
}

// connects: the workload cluster is the local API server, which authenticates
// bearer tokens through the EKS authenticator webhook; Cluster API's
// ClusterCache connects with this project's <cluster>-kubeconfig Secret, and
// with an infrastructure cluster ready the Cluster becomes Available.
func (s *suite) connects(t *testing.T, cluster string) {
	g := NewWithT(t)
	s.tokens.allow(cluster)
	infra := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "TestInfraCluster",
		"metadata": map[string]any{"name": cluster, "namespace": namespace},
	}}
	g.Expect(s.env.Client.Create(t.Context(), infra)).To(Succeed())
	infra.Object["status"] = map[string]any{
		"initialization": map[string]any{"provisioned": true},
		"conditions":     []any{map[string]any{"type": "Ready", "status": "True", "reason": "Ready", "lastTransitionTime": metav1.Now().UTC().Format(time.RFC3339)}},
	}
	g.Expect(s.env.Client.Status().Update(t.Context(), infra)).To(Succeed())
	withInfrastructure := strings.Replace(clusterManifest(cluster), "spec:\n", "spec:\n  infrastructureRef:\n    apiGroup: infrastructure.cluster.x-k8s.io\n    kind: TestInfraCluster\n    name: "+cluster+"\n", 1)
	s.kubectlApply(t, templateManifest(cluster, "v1")+"---\n"+withInfrastructure+"---\n"+controlPlaneManifest(cluster, "1.31"))
	g.Eventually(func(g Gomega) { s.get(g, workspaceKey(cluster), testenv.NewWorkspace(workspaceKey(cluster))) }, timeout, poll).Should(Succeed())
	s.provideEndpoint(t, cluster, true, s.env.Config.Host, s.env.Config.CAData)
	c := &clusterv1.Cluster{}
	g.Eventually(func(g Gomega) {
		s.get(g, types.NamespacedName{Namespace: namespace, Name: cluster}, c)
		g.Expect(conditionStatus(c.Status.Conditions, clusterv1.ClusterRemoteConnectionProbeCondition)).To(Equal(metav1.ConditionTrue))
		g.Expect(conditionStatus(c.Status.Conditions, clusterv1.AvailableCondition)).To(Equal(metav1.ConditionTrue))
	}, 2*timeout, poll).Should(Succeed(), "Cluster API's ClusterCache connects and the Cluster is Available")
	g.Expect(s.tokens.acceptedFor(cluster)).To(BeNumerically(">", 0), "with an EKS token the authenticator accepted")
}

// deletion: deleting each Cluster deletes its control plane, its
// WorkspaceTemplateApply and Workspace, and every finalizer is released.
func (s *suite) deletion(t *testing.T, clusters ...string) {
	g := NewWithT(t)
	for _, c := range clusters {
		s.mustKubectl(t, "delete", "cluster", c, "-n", namespace, "--wait=false")
	}
	g.Eventually(func(g Gomega) {
		for _, list := range []client.ObjectList{
			&clusterv1.ClusterList{}, &controlplanev1beta1.CAPTControlPlaneList{}, &infrastructurev1beta1.WorkspaceTemplateApplyList{},
		} {
			g.Expect(s.env.Client.List(t.Context(), list, client.InNamespace(namespace))).To(Succeed())
			g.Expect(list).To(HaveField("Items", BeEmpty()), "%T", list)
		}
		workspaces := testenv.NewWorkspaceList(testenv.WorkspaceScope())
		g.Expect(s.env.Client.List(t.Context(), workspaces)).To(Succeed())
		g.Expect(meta.LenList(workspaces)).To(BeZero())
	}, timeout, poll).Should(Succeed())
}

// clusterNameFixed: every version of every Workspace ever seen carries its
// Cluster's name as cluster_name.
func (s *suite) clusterNameFixed(t *testing.T, want map[types.NamespacedName]string) {
	g := NewWithT(t)
	seen := map[types.NamespacedName]map[string]bool{}
	for _, ws := range s.history.Workspaces() {
		key := client.ObjectKeyFromObject(ws)
		if seen[key] == nil {
			seen[key] = map[string]bool{}
		}
		seen[key][clusterNameVar(ws)] = true
	}
	for name, cluster := range want {
		g.Expect(seen).To(HaveKeyWithValue(name, Equal(map[string]bool{cluster: true})), "cluster_name of Workspace %s over its life", name)
	}
}

// mirrorOwnedAlone: in every version of every control plane, the only
// managedFields entry that owns status.workspaceStatus is
// capt-workspace-status's status apply, and it owns nothing else.
func (s *suite) mirrorOwnedAlone(t *testing.T) {
	g := NewWithT(t)
	mirrored := 0
	for _, cp := range s.history.ControlPlanes() {
		for _, e := range cp.ManagedFields {
			var fields map[string]any
			g.Expect(json.Unmarshal(e.FieldsV1.GetRawBytes(), &fields)).To(Succeed())
			status, _ := fields["f:status"].(map[string]any)
			_, ownsMirror := status["f:workspaceStatus"]
			if e.Manager != ownership.WorkspaceStatus {
				g.Expect(ownsMirror).To(BeFalse(), "%s owns status.workspaceStatus of %s at resourceVersion %s", e.Manager, cp.Name, cp.ResourceVersion)
				continue
			}
			mirrored++
			g.Expect(e.Operation).To(Equal(metav1.ManagedFieldsOperationApply))
			g.Expect(e.Subresource).To(Equal("status"))
			g.Expect(testenv.Keys(fields)).To(ConsistOf("f:status"), "%s owns only status", e.Manager)
			g.Expect(testenv.Keys(status)).To(ConsistOf("f:workspaceStatus"), "%s owns only status.workspaceStatus", e.Manager)
		}
	}
	g.Expect(mirrored).To(BeNumerically(">", 0), "the mirror was seen")
}

// clusterAPIWritesNoStatus: Cluster API patched the control planes (owner
// reference, label) but never wrote their status.
func (s *suite) clusterAPIWritesNoStatus(t *testing.T) {
	g := NewWithT(t)
	patches := 0
	for _, r := range s.capi.Requests.Since(0) {
		if r.Resource != "captcontrolplanes.controlplane.cluster.x-k8s.io" || !r.Write() {
			continue
		}
		g.Expect(r.Subresource).To(BeEmpty(), "Cluster API %s %s/%s", r.Key(), r.Namespace, r.Name)
		if r.Verb == "patch" {
			patches++
		}
	}
	g.Expect(patches).To(BeNumerically(">", 0), "Cluster API's requests are seen")
}

func lineWith(text, substr string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}
