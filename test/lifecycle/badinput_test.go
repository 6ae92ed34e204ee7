package lifecycle

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// TestBadTemplateInputsShowOnTheControlPlane: a control plane pointing at
// a missing template, at a template with an unknown ${var} or with a field
// the installed provider-terraform does not serve (nothing rendered), or whose
// Workspace name another namespace already took, is not Ready with the
// reason and the offending name in its Ready condition; its
// WorkspaceTemplateApply has a Warning Event; a healthy control plane next
// to them still reaches Ready; and fixing the input (creating the template)
// is picked up without a restart.
func TestBadTemplateInputsShowOnTheControlPlane(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "bad-inputs")
	other := newNamespace(t, "bad-inputs-other")
	newTemplate(t, ns, "eks")
	newTemplate(t, ns, "broken", tfv1beta1.Var{Key: "x", Value: "${no_such_variable}"})
	// The Workspace name is taken: by another namespace's control plane
	// (cluster-scoped Workspaces), or by a Workspace someone else created
	// in this namespace (namespaced ones).
	taken := "belongs to WorkspaceTemplateApply " + other + "/taken-eks-controlplane-apply"
	if testenv.WorkspaceScope() == infrastructurev1beta1.WorkspaceScopeNamespaced {
		g.Expect(env.Client.Create(t.Context(), &tfmv1beta1.Workspace{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken-eks-controlplane"},
			Spec: tfmv1beta1.WorkspaceSpec{ForProvider: tfmv1beta1.WorkspaceParameters{
				Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/other.git"}},
		})).To(Succeed())
		taken = "workspace " + ns + "/taken-eks-controlplane is not controlled by this WorkspaceTemplateApply"
	} else {
		newTemplate(t, other, "eks")
		newControlPlane(t, other, "taken", nil)
		waitWorkspace(t, other, "taken-eks-controlplane")
	}
	// A field the installed provider-terraform generation does not serve:
	// the API server would drop it from the Workspace.
	unserved, unservedField := newTemplateUnservedField(t, ns, "unserved")

	cases := []struct {
		name, template, reason, says string
	}{
		{"missing", "not-there", infrastructurev1beta1.ReasonTemplateNotFound, "WorkspaceTemplate " + ns + "/not-there not found"},
		{"unknown-var", "broken", infrastructurev1beta1.ReasonRenderFailed, "${no_such_variable}"},
		{"taken", "eks", infrastructurev1beta1.ReasonWorkspaceNameConflict, taken},
		{"not-served", unserved, infrastructurev1beta1.ReasonFieldNotServed, "has no " + unservedField},
	}
	for _, tc := range cases {
		newControlPlane(t, ns, tc.name, nil, func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Spec.WorkspaceTemplateRef.Name = tc.template
		})
	}
	healthy := newControlPlane(t, ns, "healthy", nil)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := NewWithT(t)
			applyName := tc.name + "-eks-controlplane-apply"
			g.Eventually(func(g Gomega) {
				cp := get(g, types.NamespacedName{Namespace: ns, Name: tc.name}, &controlplanev1beta1.CAPTControlPlane{})
				ready := meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionReady)
				g.Expect(ready).NotTo(BeNil())
				g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
				g.Expect(ready.Reason).To(Equal(tc.reason))
				g.Expect(ready.Message).To(And(ContainSubstring("WorkspaceTemplateApply "+applyName), ContainSubstring(tc.says)))
				g.Expect(cp.Status.Phase).To(Equal(controlplanev1beta1.PhaseCreating))
				g.Expect(cp.Status.WorkspaceTemplateStatus).NotTo(BeNil())
				g.Expect(cp.Status.WorkspaceTemplateStatus.LastFailureMessage).To(ContainSubstring(tc.says))
			}, timeout, poll).Should(Succeed())
			g.Eventually(func() []string { return warnings(t, ns, applyName, tc.reason) }, timeout, poll).Should(
				ContainElement(ContainSubstring(tc.says)))
		})
	}

	// Nothing was rendered for the unserved field.
	g.Consistently(func() bool {
		key := testenv.WorkspaceKey(ns, "not-served-eks-controlplane")
		return apierrors.IsNotFound(env.Client.Get(t.Context(), key, testenv.NewWorkspace(key)))
	}, time.Second, poll).Should(BeTrue())

	// The healthy neighbour is unaffected.
	provide(t, waitWorkspace(t, ns, "healthy-eks-controlplane"), readyOutputs)
	g.Eventually(func(g Gomega) {
		cp := get(g, client.ObjectKeyFromObject(healthy), &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(cp.Status.Phase).To(Equal(controlplanev1beta1.PhaseReady))
	}, timeout, poll).Should(Succeed())

	// Creating the missing template repairs the first one.
	newTemplate(t, ns, "not-there")
	waitWorkspace(t, ns, "missing-eks-controlplane")
	g.Eventually(func(g Gomega) {
		cp := get(g, types.NamespacedName{Namespace: ns, Name: "missing"}, &controlplanev1beta1.CAPTControlPlane{})
		g.Expect(meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionReady).Reason).To(Equal(controlplanev1beta1.ReasonCreating))
	}, timeout, poll).Should(Succeed())
}

// warnings are the notes of the Warning Events with reason about the named
// object.
func warnings(t *testing.T, ns, name, reason string) []string {
	events, err := testenv.Events(t.Context(), env.Client, ns, name, reason)
	NewWithT(t).Expect(err).NotTo(HaveOccurred())
	var notes []string
	for _, e := range events {
		if e.Type == "Warning" {
			notes = append(notes, e.Note)
		}
	}
	return notes
}
