package lifecycle

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/kubeconfig"
	"github.com/capt-controlplane/capt-controlplane/internal/ekstoken"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

var readyOutputs = map[string]any{
	"cluster_endpoint":                   "https://ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
	"cluster_name":                       "flow-eks",
	"cluster_certificate_authority_data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")),
}

// TestFlowToReady drives a control plane owned by a Cluster from creation
// to Ready, and checks every object the controllers write and who owns
// which of its fields.
func TestFlowToReady(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "flow")
	newTemplate(t, ns, "eks")
	cluster := newCluster(t, ns, "flow")
	cp := newControlPlane(t, ns, "flow-control-plane", cluster)
	key := client.ObjectKeyFromObject(cp)
	applyKey := types.NamespacedName{Namespace: ns, Name: "flow-control-plane-eks-controlplane-apply"}

	// The apply, with the variables, connection Secret, owner and labels.
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{}
	g.Eventually(func() error { return env.Client.Get(t.Context(), applyKey, apply) }, timeout, poll).Should(Succeed())
	g.Expect(apply.Spec.Variables).To(HaveKeyWithValue("cluster_name", "flow"))
	g.Expect(apply.Spec.Variables).To(HaveKeyWithValue("kubernetes_version", "1.31"))
	g.Expect(apply.Spec.Variables).To(HaveKeyWithValue("kubernetes_version_full", "v1.31.0"))
	g.Expect(apply.Spec.Variables).To(HaveKeyWithValue("region", "ap-northeast-1"))
	g.Expect(apply.Spec.WriteConnectionSecretToRef).To(Equal(&infrastructurev1beta1.SecretReference{Name: "flow-control-plane-eks-connection", Namespace: ns}))
	g.Expect(apply.OwnerReferences).To(HaveLen(1))
	g.Expect(apply.OwnerReferences[0].Name).To(Equal(cp.Name))
	g.Expect(*apply.OwnerReferences[0].Controller).To(BeTrue())

	// The Workspace, rendered with the variables and linked by labels.
	ws := waitWorkspace(t, ns, "flow-control-plane-eks-controlplane")
	spec := specOf(g, ws)
	g.Expect(spec["forProvider"].(map[string]any)["vars"]).To(ConsistOf(
		map[string]any{"key": "cluster_name", "value": "flow"}, map[string]any{"key": "region", "value": "ap-northeast-1"}))
	// The apply's connection Secret wins over the template's; a namespaced
	// Workspace's is in its own namespace, and it belongs to the apply.
	connection, _ := ws.ConnectionSecret()
	g.Expect(connection).To(Equal(types.NamespacedName{Name: "flow-control-plane-eks-connection", Namespace: ns}))
	if testenv.WorkspaceScope() == infrastructurev1beta1.WorkspaceScopeNamespaced {
		g.Expect(ws.GetNamespace()).To(Equal(ns))
		g.Expect(spec["writeConnectionSecretToRef"]).To(Equal(map[string]any{"name": "flow-control-plane-eks-connection"}))
		g.Expect(spec["providerConfigRef"]).To(Equal(map[string]any{"kind": "ClusterProviderConfig", "name": "default"}))
		g.Expect(ws.GetOwnerReferences()).To(HaveLen(1))
		g.Expect(ws.GetOwnerReferences()[0].Kind).To(Equal("WorkspaceTemplateApply"))
		g.Expect(ws.GetOwnerReferences()[0].Name).To(Equal(applyKey.Name))
		g.Expect(*ws.GetOwnerReferences()[0].Controller).To(BeTrue())
	} else {
		g.Expect(ws.GetNamespace()).To(BeEmpty())
		g.Expect(spec["writeConnectionSecretToRef"]).To(Equal(map[string]any{"name": "flow-control-plane-eks-connection", "namespace": ns}))
	}
	renderedBy := get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(ws.GetLabels()).To(Equal(map[string]string{
		infrastructurev1beta1.LabelApplyNamespace:      ns,
		infrastructurev1beta1.LabelApplyName:           applyKey.Name,
		infrastructurev1beta1.LabelApplyUID:            string(renderedBy.UID),
		controlplanev1beta1.LabelControlPlaneNamespace: ns,
		controlplanev1beta1.LabelControlPlaneName:      cp.Name,
	}))

	// Creating until the provider reports the workspace ready.
	g.Eventually(func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Status.Phase).To(Equal(controlplanev1beta1.PhaseCreating))
		g.Expect(got.Finalizers).To(ContainElement(controlplanev1beta1.CAPTControlPlaneFinalizer))
		g.Expect(got.Spec.WorkspaceTemplateApplyName).To(Equal(applyKey.Name))
	}, timeout, poll).Should(Succeed())

	provide(t, ws, readyOutputs)
	var ready *controlplanev1beta1.CAPTControlPlane
	g.Eventually(func(g Gomega) {
		ready = get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(ready.Status.Phase).To(Equal(controlplanev1beta1.PhaseReady))
		g.Expect(ready.Status.Ready).To(BeTrue())
		g.Expect(ready.Status.Initialized).To(BeTrue())
		g.Expect(ready.Status.SecretsReady).To(BeTrue())
		g.Expect(ready.Status.WorkspaceStatus).NotTo(BeNil())
		g.Expect(ready.Status.WorkspaceStatus.Ready).To(BeTrue())
		// The spec apply of the endpoint bumped the generation; the status
		// follows it.
		g.Expect(ready.Status.ObservedGeneration).To(Equal(ready.Generation))
	}, timeout, poll).Should(Succeed())
	g.Expect(ready.Spec.ControlPlaneEndpoint).To(Equal(controlplanev1beta1.APIEndpoint{Host: "ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com", Port: 443}))
	g.Expect(*ready.Status.Initialization.ControlPlaneInitialized).To(BeTrue())
	g.Expect(*ready.Status.ExternalManagedControlPlane).To(BeTrue())
	g.Expect(ready.Status.Version).To(Equal("1.31"))
	g.Expect(ready.Status.WorkspaceTemplateStatus.WorkspaceName).To(Equal(ws.GetName()))
	readyCond := meta.FindStatusCondition(ready.Status.Conditions, controlplanev1beta1.ConditionReady)
	g.Expect(readyCond.Status).To(Equal(metav1.ConditionTrue))
	g.Expect(readyCond.ObservedGeneration).To(Equal(ready.Generation))
	g.Expect(meta.FindStatusCondition(ready.Status.Conditions, controlplanev1beta1.ConditionPaused).Status).To(Equal(metav1.ConditionFalse))

	// People's kubeconfig: aws eks get-token.
	secret := get(g, types.NamespacedName{Namespace: ns, Name: "flow-user-kubeconfig"}, &corev1.Secret{})
	g.Expect(secret.Type).To(Equal(clusterv1.ClusterSecretType))
	g.Expect(secret.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "flow"))
	g.Expect(string(secret.Data["value"])).To(ContainSubstring("server: https://ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com:443"))
	g.Expect(string(secret.Data["value"])).To(ContainSubstring("- flow-eks"))

	// Cluster API's kubeconfig: a bearer token for the EKS cluster, signed
	// with the ProviderConfig's credentials, and when it expires.
	var token *corev1.Secret
	g.Eventually(func(g Gomega) {
		token = get(g, types.NamespacedName{Namespace: ns, Name: "flow-kubeconfig"}, &corev1.Secret{})
	}, timeout, poll).Should(Succeed())
	g.Expect(token.Type).To(Equal(clusterv1.ClusterSecretType))
	g.Expect(token.Labels).To(HaveKeyWithValue(clusterv1.ClusterNameLabel, "flow"))
	g.Expect(token.OwnerReferences).To(HaveLen(1))
	g.Expect(token.OwnerReferences[0].UID).To(Equal(ready.UID))
	g.Expect(*token.OwnerReferences[0].Controller).To(BeTrue())
	g.Expect(testenv.Keys(bytesKeys(token.Data))).To(ConsistOf("value"))
	cfg, err := clientcmd.Load(token.Data["value"])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(cfg.Clusters["flow"].Server).To(Equal("https://ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com:443"))
	user := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
	g.Expect(user.Exec).To(BeNil())
	expires, err := time.Parse(time.RFC3339, token.Annotations[kubeconfig.AnnotationTokenExpires])
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(testenv.VerifyEKSToken(user.Token, testenv.AWSCredentials, "flow-eks", expires.Add(-ekstoken.Lifetime))).To(Succeed())
	waitCondition(t, ready, controlplanev1beta1.ConditionKubeconfigReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonTokenIssued))
		g.Expect(c.Message).To(ContainSubstring("renewed before it expires"))
	})

	// Every manager owns only its own fields: each object as the ownership
	// table says, and exactly these.
	g.Eventually(func(g Gomega) {
		for _, obj := range []client.Object{
			get(g, key, &controlplanev1beta1.CAPTControlPlane{}), get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}),
			getWorkspace(g, ws),
			get(g, types.NamespacedName{Namespace: ns, Name: "flow-user-kubeconfig"}, &corev1.Secret{}),
			get(g, types.NamespacedName{Namespace: ns, Name: "flow-kubeconfig"}, &corev1.Secret{}),
		} {
			g.Expect(testenv.OwnershipViolations(obj)).To(BeEmpty())
		}
	}, timeout, poll).Should(Succeed())
	mainFields := fieldsOf(g, ready, "capt-controlplane", "")
	g.Expect(mainFields).To(Equal(testenv.MustJSON(`{"f:metadata":{"f:finalizers":{"v:\"controlplane.cluster.x-k8s.io/captcontrolplane\"":{}}},
		"f:spec":{"f:controlPlaneEndpoint":{"f:host":{},"f:port":{}},"f:workspaceTemplateApplyName":{}}}`)))
	statusFields := fieldsOf(g, ready, "capt-controlplane", "status")["f:status"].(map[string]any)
	g.Expect(statusFields).NotTo(HaveKey("f:workspaceStatus"))
	g.Expect(testenv.Keys(statusFields)).To(ConsistOf("f:conditions", "f:externalManagedControlPlane", "f:initialization", "f:initialized",
		"f:observedGeneration", "f:phase", "f:ready", "f:secretsReady", "f:version", "f:versions", "f:workspaceTemplateStatus"))
	g.Expect(statusFields["f:versions"]).To(Equal(testenv.MustJSON(`{"k:{\"version\":\"v1.31.0\"}":{".":{},"f:version":{}}}`)))
	conditionTypes := []string{}
	for key := range statusFields["f:conditions"].(map[string]any) {
		if t, ok := strings.CutPrefix(key, `k:{"type":"`); ok {
			conditionTypes = append(conditionTypes, strings.TrimSuffix(t, `"}`))
		}
	}
	g.Expect(conditionTypes).To(ConsistOf("Ready", "Available", "Initialized", "Creating", "Failed", "Paused", "EndpointChanged", "RollingOut", "ClusterAPICompatible"), "capt-controlplane's conditions")
	g.Expect(meta.FindStatusCondition(ready.Status.Conditions, controlplanev1beta1.ConditionClusterAPICompatible).Status).To(Equal(metav1.ConditionTrue), "Cluster API serves the v1beta2 Cluster here")
	g.Expect(fieldsOf(g, ready, "capt-workspace-status", "status")).To(Equal(
		testenv.MustJSON(testenv.WorkspaceStatusFields)))

	apply = get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(testenv.Keys(fieldsOf(g, apply, "capt-controlplane", ""))).To(ConsistOf("f:metadata", "f:spec"))
	g.Expect(fieldsOf(g, apply, "capt-workspacetemplateapply", "")).To(Equal(testenv.MustJSON(
		`{"f:metadata":{"f:finalizers":{"v:\"infrastructure.cluster.x-k8s.io/workspacetemplateapply\"":{}}}}`)))
	g.Expect(testenv.Keys(fieldsOf(g, apply, "capt-workspacetemplateapply", "status"))).To(ConsistOf("f:status"))
	ws = getWorkspace(g, ws)
	wsFields := fieldsOf(g, ws, "capt-workspacetemplateapply", "")
	g.Expect(testenv.Keys(wsFields)).To(ConsistOf("f:metadata", "f:spec"))
	if testenv.WorkspaceScope() == infrastructurev1beta1.WorkspaceScopeNamespaced {
		g.Expect(testenv.Keys(wsFields["f:metadata"].(map[string]any))).To(ConsistOf("f:labels", "f:ownerReferences"))
	} else {
		g.Expect(testenv.Keys(wsFields["f:metadata"].(map[string]any))).To(ConsistOf("f:labels"))
	}

	// The apply reports the Workspace's conditions.
	g.Eventually(func(g Gomega) {
		apply := get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
		g.Expect(apply.Status.Applied).To(BeTrue())
		g.Expect(apply.Status.WorkspaceName).To(Equal(ws.GetName()))
		g.Expect(apply.Status.WorkspaceNamespace).To(Equal(ws.GetNamespace()))
		g.Expect(findTFCondition(apply.Status.Conditions, tfv1beta1.TypeReady).Status).To(Equal(metav1.ConditionTrue))
	}, timeout, poll).Should(Succeed())

	// A stale full status update never leaves a wrong phase or a lost mirror.
	// The controllers may still be writing, so the writer retries on conflict
	// as any client of Update must.
	g.Eventually(func() error {
		stale := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		stale.Status = controlplanev1beta1.CAPTControlPlaneStatus{Phase: controlplanev1beta1.PhaseCreating}
		return env.Client.Status().Update(t.Context(), stale, client.FieldOwner("stale-writer"))
	}, timeout, poll).Should(Succeed())
	g.Eventually(func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Status.Phase).To(Equal(controlplanev1beta1.PhaseReady))
		g.Expect(got.Status.Ready).To(BeTrue())
		g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil())
		g.Expect(got.Status.WorkspaceStatus.AtProvider).NotTo(BeNil())
		g.Expect(meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionReady)).NotTo(BeNil())
	}, timeout, poll).Should(Succeed())

	// lastTransitionTime moves only on a real transition.
	before := meta.FindStatusCondition(get(g, key, &controlplanev1beta1.CAPTControlPlane{}).Status.Conditions, controlplanev1beta1.ConditionInitialized).LastTransitionTime
	g.Expect(env.Client.Patch(t.Context(), &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: cp.Name, Namespace: ns}},
		client.RawPatch(types.MergePatchType, []byte(`{"spec":{"additionalTags":{"touch":"1"}}}`)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := get(g, key, &controlplanev1beta1.CAPTControlPlane{})
		c := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionInitialized)
		g.Expect(c.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(c.LastTransitionTime).To(Equal(before))
	}, timeout, poll).Should(Succeed())
}

func TestMalformedEndpointIsACondition(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "badendpoint")
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, "bad", nil)
	ws := waitWorkspace(t, ns, "bad-eks-controlplane")
	provide(t, ws, map[string]any{"cluster_endpoint": "ftp://not-an-endpoint"})
	g.Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
		c := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionReady)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonEndpointUpdateFailed))
		g.Expect(c.Message).To(ContainSubstring("ftp://not-an-endpoint"))
		g.Expect(got.Status.Phase).To(Equal(controlplanev1beta1.PhaseCreating))
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).To(BeEmpty())
		// The mirror is unaffected.
		g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil())
	}, timeout, poll).Should(Succeed())
}

func TestCreationTimeoutFails(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "timeout")
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, "slow", nil, func(cp *controlplanev1beta1.CAPTControlPlane) {
		cp.Spec.ControlPlaneConfig.Timeouts = &controlplanev1beta1.Timeouts{ControlPlaneTimeout: 5, VPCReadyTimeout: 5}
	})
	waitWorkspace(t, ns, "slow-eks-controlplane")
	clockOffset.Store(int64(6 * time.Minute))
	defer clockOffset.Store(0)
	// Any event reconciles it with the shifted clock.
	g.Expect(env.Client.Patch(t.Context(), &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: cp.Name, Namespace: ns}},
		client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"poke":"1"}}}`)))).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Status.Phase).To(Equal(controlplanev1beta1.PhaseFailed))
		g.Expect(got.Status.FailureReason).To(Equal(controlplanev1beta1.ReasonControlPlaneTimeout))
		c := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionFailed)
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
		g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonControlPlaneTimeout))
	}, timeout, poll).Should(Succeed())
}

func TestPausedControlPlaneWaits(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "paused")
	newTemplate(t, ns, "eks")
	cluster := newCluster(t, ns, "paused")
	mergePatch(t, cluster, `{"spec":{"paused":true}}`)
	cp := newControlPlane(t, ns, "paused-cp", cluster)
	applyKey := types.NamespacedName{Namespace: ns, Name: "paused-cp-eks-controlplane-apply"}

	waitPausedCondition(t, cp, true)
	g.Consistently(func() error {
		return env.Client.Get(t.Context(), applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	}, time.Second, 100*time.Millisecond).ShouldNot(Succeed())

	mergePatch(t, cluster, `{"spec":{"paused":false}}`)
	g.Eventually(func() error {
		return env.Client.Get(t.Context(), applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{})
	}, timeout, poll).Should(Succeed())
}

func TestDeletion(t *testing.T) {
	for _, retain := range []bool{false, true} {
		name := map[bool]string{false: "delete", true: "retain"}[retain]
		t.Run(name, func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t, "deletion-"+name)
			newTemplate(t, ns, "eks")
			cp := newControlPlane(t, ns, name, nil)
			ws := waitWorkspace(t, ns, name+"-eks-controlplane")
			applyKey := types.NamespacedName{Namespace: ns, Name: name + "-eks-controlplane-apply"}
			if retain {
				// A user setting a field capt-controlplane does not own.
				g.Expect(env.Client.Patch(t.Context(), &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: applyKey.Name, Namespace: ns}},
					client.RawPatch(types.MergePatchType, []byte(`{"spec":{"retainWorkspaceOnDelete":true}}`)))).To(Succeed())
			}
			g.Eventually(func(g Gomega) {
				g.Expect(get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{}).Finalizers).NotTo(BeEmpty())
				g.Expect(get(g, applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}).Finalizers).NotTo(BeEmpty())
			}, timeout, poll).Should(Succeed())

			g.Expect(env.Client.Delete(t.Context(), cp)).To(Succeed())
			g.Eventually(func() bool {
				return apierrors.IsNotFound(env.Client.Get(t.Context(), client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{}))
			}, timeout, poll).Should(BeTrue(), "the control plane was not deleted")
			g.Expect(apierrors.IsNotFound(env.Client.Get(t.Context(), applyKey, &infrastructurev1beta1.WorkspaceTemplateApply{}))).To(BeTrue())
			wsErr := env.Client.Get(t.Context(), client.ObjectKeyFromObject(ws), testenv.NewWorkspace(client.ObjectKeyFromObject(ws)))
			if retain {
				g.Expect(wsErr).NotTo(HaveOccurred(), "a retained Workspace was deleted")
			} else {
				g.Expect(apierrors.IsNotFound(wsErr)).To(BeTrue(), "the Workspace outlived its control plane")
			}
		})
	}
}

// Two namespaces that render the same cluster-scoped Workspace name: the
// second apply is refused and the Workspace keeps its owner. (Namespaced
// Workspaces of the same name in two namespaces are two Workspaces.)
func TestWorkspaceNameCollisionIsRefused(t *testing.T) {
	g := NewWithT(t)
	first, second := newNamespace(t, "collide-a"), newNamespace(t, "collide-b")
	for _, ns := range []string{first, second} {
		newTemplate(t, ns, "eks")
		mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
			`{"spec":{"workspaceScope":"Cluster"}}`)
	}
	newControlPlane(t, first, "same", nil)
	ws := &tfv1beta1.Workspace{}
	g.Eventually(func() error {
		return env.Client.Get(t.Context(), types.NamespacedName{Name: "same-eks-controlplane"}, ws)
	}, timeout, poll).Should(Succeed())
	newControlPlane(t, second, "same", nil)

	g.Eventually(func(g Gomega) {
		apply := get(g, types.NamespacedName{Namespace: second, Name: "same-eks-controlplane-apply"}, &infrastructurev1beta1.WorkspaceTemplateApply{})
		c := findTFCondition(apply.Status.Conditions, tfv1beta1.TypeSynced)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceNameConflict))
		g.Expect(c.Message).To(ContainSubstring(first + "/same-eks-controlplane-apply"))
		g.Expect(apply.Status.Applied).To(BeFalse())
	}, timeout, poll).Should(Succeed())
	got := getWorkspace(g, ws)
	g.Expect(got.GetLabels()[infrastructurev1beta1.LabelApplyNamespace]).To(Equal(first))
	g.Expect(got.GetLabels()[controlplanev1beta1.LabelControlPlaneNamespace]).To(Equal(first))
}

func TestWaitsForSecretsAndRejectsUnknownVariables(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "waits")
	newTemplate(t, ns, "eks")
	newTemplate(t, ns, "broken", tfv1beta1.Var{Key: "x", Value: "${no_such_variable}"})
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: "waiting-apply", Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{
			TemplateRef:    infrastructurev1beta1.WorkspaceTemplateReference{Name: "eks"},
			Variables:      map[string]string{"cluster_name": "c", "region": "r"},
			WaitForSecrets: []infrastructurev1beta1.SecretReference{{Name: "credentials"}},
		},
	}
	g.Expect(env.Client.Create(t.Context(), apply)).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(apply), &infrastructurev1beta1.WorkspaceTemplateApply{})
		c := findTFCondition(got.Status.Conditions, tfv1beta1.TypeSynced)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWaitingForSecrets))
		g.Expect(c.Message).To(ContainSubstring(ns + "/credentials"))
	}, timeout, poll).Should(Succeed())
	g.Expect(env.Client.Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "credentials", Namespace: ns}})).To(Succeed())
	waitWorkspace(t, ns, "waiting")

	broken := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: "broken-apply", Namespace: ns},
		Spec:       infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "broken"}},
	}
	g.Expect(env.Client.Create(t.Context(), broken)).To(Succeed())
	g.Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(broken), &infrastructurev1beta1.WorkspaceTemplateApply{})
		c := findTFCondition(got.Status.Conditions, tfv1beta1.TypeSynced)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonRenderFailed))
		g.Expect(c.Message).To(ContainSubstring("${no_such_variable}"))
	}, timeout, poll).Should(Succeed())
	brokenKey := testenv.WorkspaceKey(ns, "broken")
	g.Expect(apierrors.IsNotFound(env.Client.Get(t.Context(), brokenKey, testenv.NewWorkspace(brokenKey)))).To(BeTrue())
}

func bytesKeys(m map[string][]byte) map[string]any {
	out := map[string]any{}
	for k := range m {
		out[k] = nil
	}
	return out
}
