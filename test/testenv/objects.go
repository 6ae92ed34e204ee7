package testenv

import (
	"testing"
	"time"

	"github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// CreateTemplate creates, as c, the WorkspaceTemplate ns/name of scope (""
// for the default): a Remote module given the cluster's name, its outputs
// in a Secret; mutate changes it first.
func CreateTemplate(t testing.TB, c client.Client, ns, name string, scope infrastructurev1beta1.WorkspaceScope, mutate ...func(*infrastructurev1beta1.WorkspaceTemplate)) {
	t.Helper()
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: infrastructurev1beta1.WorkspaceTemplateSpec{
			WorkspaceScope: scope,
			Template: infrastructurev1beta1.WorkspaceTemplateDefinition{Spec: tfv1beta1.WorkspaceSpec{
				ForProvider: tfv1beta1.WorkspaceParameters{Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/eks.git",
					Vars: []tfv1beta1.Var{{Key: "cluster_name", Value: "${cluster_name}"}}},
			}},
			WriteConnectionSecretToRef: &infrastructurev1beta1.SecretReference{Name: "${WORKSPACE_NAME}-outputs"},
		},
	}
	for _, m := range mutate {
		m(tmpl)
	}
	gomega.NewWithT(t).Expect(c.Create(t.Context(), tmpl)).To(gomega.Succeed())
}

// WaitControlPlaneCondition waits until c reads cp's condition and check
// passes on it.
func WaitControlPlaneCondition(t testing.TB, c client.Client, cp *controlplanev1beta1.CAPTControlPlane, conditionType string,
	check func(gomega.Gomega, *metav1.Condition), timeout, poll time.Duration) {
	t.Helper()
	gomega.NewWithT(t).Eventually(func(g gomega.Gomega) {
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(cp), got)).To(gomega.Succeed())
		cond := meta.FindStatusCondition(got.Status.Conditions, conditionType)
		g.Expect(cond).NotTo(gomega.BeNil(), "no %s condition", conditionType)
		check(g, cond)
	}, timeout, poll).Should(gomega.Succeed())
}
