package lifecycle

import (
	"testing"
	"time"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// A Workspace is a Terraform run: a control plane keeps the kind of
// Workspace it has for its whole life. Its template switched to the
// namespaced kind, a change to the template re-renders the cluster-scoped
// Workspace it has, and no namespaced one appears (a second Terraform run
// of the same cluster).
func TestWorkspaceKeepsItsKind(t *testing.T) {
	if testenv.ProviderTerraformGeneration() == "v0" {
		t.Skip("provider-terraform v0 serves one kind of Workspace")
	}
	g := NewWithT(t)
	ns := newNamespace(t, "kind-kept")
	newTemplate(t, ns, "eks")
	tmplKey := types.NamespacedName{Namespace: ns, Name: "eks"}
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"workspaceScope":"Cluster"}}`)
	newControlPlane(t, ns, "kept", nil)
	clusterKey := types.NamespacedName{Name: "kept-eks-controlplane"}
	ws := &tfv1beta1.Workspace{}
	g.Eventually(func() error { return env.Client.Get(t.Context(), clusterKey, ws) }, timeout, poll).Should(Succeed())

	tmpl := get(g, tmplKey, &infrastructurev1beta1.WorkspaceTemplate{})
	mergePatch(t, tmpl, `{"spec":{"workspaceScope":"Namespaced","template":{"spec":{"forProvider":{"entrypoint":"modules/eks"}}}}}`)
	g.Eventually(func(g Gomega) {
		got := get(g, clusterKey, &tfv1beta1.Workspace{})
		g.Expect(got.UID).To(Equal(ws.UID))
		g.Expect(got.Spec.ForProvider.Entrypoint).To(Equal("modules/eks"))
	}, timeout, poll).Should(Succeed(), "the template change reaches the cluster-scoped Workspace")
	g.Consistently(func() bool {
		return apierrors.IsNotFound(env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: clusterKey.Name}, &tfmv1beta1.Workspace{}))
	}, 2*time.Second, poll).Should(BeTrue(), "a namespaced Workspace for a control plane that has a cluster-scoped one")
}
