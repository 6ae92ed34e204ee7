package lifecycle

import (
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// templateVariables are what newTemplate's template needs of an apply
// created directly.
var templateVariables = map[string]string{"cluster_name": "squatted", "region": "ap-northeast-1"}

// clusterScopedTemplate creates a template whose Workspaces are
// cluster-scoped (the kind whose names every namespace shares).
func clusterScopedTemplate(t *testing.T, ns, name string) {
	t.Helper()
	newTemplate(t, ns, name)
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}},
		`{"spec":{"workspaceScope":"Cluster"}}`)
}

// TestWorkspacesItDidNotRenderAreNeverAdopted: a cluster-scoped Workspace
// the manager did not render for an apply — an admin's, of the very name a
// tenant's apply renders — is a conflict on the apply: never changed, never
// deleted with the apply, whoever wrote it (a hand edit's manager included)
// and whenever.
func TestWorkspacesItDidNotRenderAreNeverAdopted(t *testing.T) {
	for _, manager := range []string{"platform-admin", "kubectl-client-side-apply"} {
		t.Run(manager, func(t *testing.T) {
			g := NewWithT(t)
			ns := newNamespace(t, "adopt-"+map[string]string{"platform-admin": "admin", "kubectl-client-side-apply": "kubectl"}[manager])
			name := ns + "-platform-network"
			admins := &tfv1beta1.Workspace{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: tfv1beta1.WorkspaceSpec{ForProvider: tfv1beta1.WorkspaceParameters{
					Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/platform-network.git"}},
			}
			g.Expect(env.Client.Create(t.Context(), admins, client.FieldOwner(manager))).To(Succeed())
			// Creation times have a one-second grain: the apply comes later.
			time.Sleep(1100 * time.Millisecond)

			clusterScopedTemplate(t, ns, "eks")
			apply := &infrastructurev1beta1.WorkspaceTemplateApply{
				ObjectMeta: metav1.ObjectMeta{Name: name + "-apply", Namespace: ns},
				Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "eks"},
					Variables: templateVariables},
			}
			g.Expect(env.Client.Create(t.Context(), apply)).To(Succeed())
			g.Eventually(func(g Gomega) {
				got := get(g, client.ObjectKeyFromObject(apply), &infrastructurev1beta1.WorkspaceTemplateApply{})
				synced := findTFCondition(got.Status.Conditions, tfv1beta1.TypeSynced)
				g.Expect(synced).NotTo(BeNil())
				g.Expect(synced.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceNameConflict))
				g.Expect(synced.Message).To(ContainSubstring("was not rendered by this WorkspaceTemplateApply"))
			}, timeout, poll).Should(Succeed())

			g.Expect(env.Client.Delete(t.Context(), apply)).To(Succeed())
			g.Eventually(func() bool {
				return apierrors.IsNotFound(env.Client.Get(t.Context(), client.ObjectKeyFromObject(apply), &infrastructurev1beta1.WorkspaceTemplateApply{}))
			}, timeout, poll).Should(BeTrue(), "the apply's deletion completes")
			got := &tfv1beta1.Workspace{}
			g.Expect(env.Client.Get(t.Context(), types.NamespacedName{Name: name}, got)).To(Succeed(), "the admin's Workspace was deleted")
			g.Expect(got.DeletionTimestamp).To(BeNil())
			g.Expect(got.Generation).To(Equal(admins.Generation), "the admin's Workspace was changed")
			g.Expect(got.Spec.ForProvider.Module).To(Equal("git::https://example.com/platform-network.git"))
			g.Expect(got.Labels).To(BeEmpty())
		})
	}
}

// TestAnotherNamespacesWorkspaceGivesNothing: team-a's apply, created
// directly with labels that claim team-b's control plane, renders the
// cluster-scoped Workspace name team-b's control plane would. team-b's
// control plane shows the conflict and takes nothing from that Workspace:
// no mirror, no endpoint, not Ready, no kubeconfig.
func TestAnotherNamespacesWorkspaceGivesNothing(t *testing.T) {
	g := NewWithT(t)
	teamA := newNamespace(t, "squat-a")
	teamB := newNamespace(t, "squat-b")
	clusterScopedTemplate(t, teamA, "eks")
	clusterScopedTemplate(t, teamB, "eks")
	squatter := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-eks-controlplane-apply", Namespace: teamA, Labels: map[string]string{
			controlplanev1beta1.LabelControlPlaneNamespace: teamB,
			controlplanev1beta1.LabelControlPlaneName:      "prod",
		}},
		Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "eks"},
			Variables: templateVariables},
	}
	g.Expect(env.Client.Create(t.Context(), squatter)).To(Succeed())
	key := types.NamespacedName{Name: "prod-eks-controlplane"}
	g.Eventually(func() error { return env.Client.Get(t.Context(), key, &tfv1beta1.Workspace{}) }, timeout, poll).Should(Succeed())
	g.Expect(testenv.Provide(t.Context(), env.Client, key, testenv.Observation{
		Ready: true, Reason: tfv1beta1.ReasonAvailable, Checksum: "team-a",
		Outputs: map[string]any{"cluster_endpoint": "https://team-a.example.com", "cluster_certificate_authority_data": "Y2EK"},
	})).To(Succeed())

	cp := newControlPlane(t, teamB, "prod", nil)
	g.Eventually(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
		ready := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionReady)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceNameConflict))
	}, timeout, poll).Should(Succeed())
	g.Consistently(func(g Gomega) {
		got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(got.Status.Ready).To(BeFalse())
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).To(BeEmpty(), "team-a's endpoint")
		g.Expect(got.Status.WorkspaceStatus).To(BeNil(), "team-a's Workspace mirrored")
		for _, secret := range []string{"prod-kubeconfig", "prod-user-kubeconfig"} {
			err := env.Client.Get(t.Context(), types.NamespacedName{Namespace: teamB, Name: secret}, &corev1.Secret{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "%s for team-a's cluster", secret)
		}
	}, 3*time.Second, poll).Should(Succeed())
}

// TestTemplatesOfAnotherNamespaceOnlyWhereShared: a control plane may
// render a template of another namespace only when that template lists its
// namespace in spec.sharedWithNamespaces. Until then the control plane says
// TemplateNotShared — the same words whether the template exists or not —
// and nothing is rendered; sharing it is picked up without a restart.
func TestTemplatesOfAnotherNamespaceOnlyWhereShared(t *testing.T) {
	g := NewWithT(t)
	platform := newNamespace(t, "shared-templates")
	team := newNamespace(t, "shared-templates-team")
	newTemplate(t, platform, "eks")
	messages := map[string]string{}
	for _, name := range []string{"eks", "nothing"} {
		cp := newControlPlane(t, team, "uses-"+name, nil, func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Spec.WorkspaceTemplateRef = controlplanev1beta1.WorkspaceTemplateReference{Name: name, Namespace: platform}
		})
		g.Eventually(func(g Gomega) {
			got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
			ready := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionReady)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Reason).To(Equal(infrastructurev1beta1.ReasonTemplateNotShared))
			messages[name] = ready.Message
		}, timeout, poll).Should(Succeed())
	}
	g.Expect(messages["eks"]).To(ContainSubstring("is not shared with namespace " + team))
	g.Expect(strings.ReplaceAll(messages["eks"], "uses-eks", "uses-X")).To(Equal(strings.ReplaceAll(strings.ReplaceAll(messages["nothing"], "uses-nothing", "uses-X"), "/nothing", "/eks")),
		"the refusal tells whether another namespace's template exists")
	key := testenv.WorkspaceKey(team, "uses-eks-eks-controlplane")
	g.Consistently(func() bool {
		return apierrors.IsNotFound(env.Client.Get(t.Context(), key, testenv.NewWorkspace(key)))
	}, time.Second, poll).Should(BeTrue(), "rendered from a template not shared")

	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: platform, Name: "eks"}},
		`{"spec":{"sharedWithNamespaces":["`+team+`"]}}`)
	waitWorkspace(t, team, "uses-eks-eks-controlplane")
}
