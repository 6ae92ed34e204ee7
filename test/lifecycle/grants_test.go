package lifecycle

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/kubeconfig"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// platformCredentials are those of the platform's own provider
// configuration, which no namespace may use until it is granted.
var platformCredentials = aws.Credentials{AccessKeyID: "AKIDPLATFORM", SecretAccessKey: "platform-secret-key"}

// newPlatformProviderConfig creates the cluster-scoped ProviderConfig and
// ClusterProviderConfig name, with the platform's credentials.
func newPlatformProviderConfig(t *testing.T, name string) {
	t.Helper()
	NewWithT(t).Expect(testenv.ProvideProviderConfig(t.Context(), env.Client, name, name+"-credentials", platformCredentials)).To(Succeed())
}

// grantTo grants the provider configuration name, of both kinds, as
// allowed says; it returns the grants' names.
func grantTo(t *testing.T, name string, allowed *infrastructurev1beta1.AllowedNamespaces) []string {
	t.Helper()
	var names []string
	for _, kind := range []infrastructurev1beta1.GrantedKind{infrastructurev1beta1.GrantedProviderConfigKind, infrastructurev1beta1.GrantedClusterProviderConfigKind} {
		grant := &infrastructurev1beta1.ProviderConfigGrant{
			ObjectMeta: metav1.ObjectMeta{GenerateName: name + "-"},
			Spec: infrastructurev1beta1.ProviderConfigGrantSpec{
				ProviderConfigRef: infrastructurev1beta1.GrantedProviderConfig{Kind: kind, Name: name},
				AllowedNamespaces: allowed,
			},
		}
		NewWithT(t).Expect(env.Client.Create(t.Context(), grant)).To(Succeed())
		names = append(names, grant.Name)
	}
	return names
}

func revoke(t *testing.T, names []string) {
	t.Helper()
	for _, name := range names {
		NewWithT(t).Expect(env.Client.Delete(t.Context(), &infrastructurev1beta1.ProviderConfigGrant{ObjectMeta: metav1.ObjectMeta{Name: name}})).To(Succeed())
	}
}

// waitNotGranted waits until the control plane's Ready condition says its
// namespace is not granted the provider configuration.
func waitNotGranted(t *testing.T, cp *controlplanev1beta1.CAPTControlPlane, config string) {
	t.Helper()
	waitCondition(t, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonProviderConfigNotGranted))
		g.Expect(c.Message).To(ContainSubstring(config + " is not granted to namespace " + cp.Namespace))
	})
}

// TestProviderConfigsOnlyWhereGranted: a cluster-scoped provider
// configuration renders a Workspace and signs a token only for a namespace
// a ProviderConfigGrant allows, by name or by label; taken back, the
// Workspace is left as it is (nothing destroyed, the mirror kept) but not
// changed any more, and the token is not renewed.
func TestProviderConfigsOnlyWhereGranted(t *testing.T) {
	g := NewWithT(t)
	const config = "platform-granted"
	newPlatformProviderConfig(t, config)
	ns := newNamespace(t, "grants-team")
	newTemplate(t, ns, "eks")
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"template":{"spec":{"providerConfigRef":{"name":"`+config+`"}}}}}`)
	cp := newControlPlane(t, ns, "granted", nil)
	wsKey := testenv.WorkspaceKey(ns, "granted-eks-controlplane")

	// Not granted: said on the control plane, nothing rendered.
	waitNotGranted(t, cp, config)
	g.Consistently(func() bool {
		return apierrors.IsNotFound(env.Client.Get(t.Context(), wsKey, testenv.NewWorkspace(wsKey)))
	}, time.Second, poll).Should(BeTrue(), "rendered with a provider configuration not granted")

	// A grant for another namespace changes nothing.
	revoke(t, grantTo(t, config, &infrastructurev1beta1.AllowedNamespaces{List: []string{"grants-someone-else"}}))

	// Granted by name: rendered, and the token is signed with the
	// platform's credentials.
	byName := grantTo(t, config, &infrastructurev1beta1.AllowedNamespaces{List: []string{ns}})
	ws := waitWorkspace(t, ns, "granted-eks-controlplane")
	provide(t, ws, readyOutputs)
	key := types.NamespacedName{Namespace: ns, Name: "granted-kubeconfig"}
	var token string
	var expires time.Time
	g.Eventually(func(g Gomega) { token, expires, _ = tokenOf(g, key) }, timeout, poll).Should(Succeed())
	g.Expect(testenv.VerifyEKSToken(token, platformCredentials, "flow-eks", time.Now())).To(Succeed())
	mirrored := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{}).Status.WorkspaceStatus

	// Taken back: a change of the template is not rendered, the Workspace
	// stays as it was, and the mirror with it.
	revoke(t, byName)
	rendered := getWorkspace(g, ws)
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"template":{"spec":{"forProvider":{"module":"git::https://example.com/eks-next.git"}}}}}`)
	waitCondition(t, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "the cluster runs as rendered before")
		g.Expect(c.Message).To(ContainSubstring("changes are not applied"))
		g.Expect(c.Message).To(ContainSubstring(config + " is not granted to namespace " + cp.Namespace))
	})
	g.Consistently(func(g Gomega) {
		now := getWorkspace(g, ws)
		g.Expect(now.GetDeletionTimestamp()).To(BeNil())
		g.Expect(now.GetGeneration()).To(Equal(rendered.GetGeneration()), "the Workspace changed without a grant")
	}, time.Second, poll).Should(Succeed())
	got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
	g.Expect(got.Status.WorkspaceStatus).To(Equal(mirrored), "the mirror is kept")
	apply := get(g, types.NamespacedName{Namespace: ns, Name: cp.EffectiveWorkspaceTemplateApplyName()}, &infrastructurev1beta1.WorkspaceTemplateApply{})
	g.Expect(apply.Status.WorkspaceName).To(Equal(ws.GetName()), "the apply's status still names its Workspace")

	// Nor is the token renewed.
	due := expires.Add(-kubeconfig.RenewBefore).Add(time.Second)
	direct := &kubeconfig.Reconciler{Client: env.Client, APIReader: env.Client, Recorder: events.NewFakeRecorder(10), Now: func() time.Time { return due }}
	_, err := direct.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cp)})
	g.Expect(err).NotTo(HaveOccurred())
	kept, _, _ := tokenOf(g, key)
	g.Expect(kept).To(Equal(token), "a token signed without a grant")
	c := meta.FindStatusCondition(get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{}).Status.Conditions, controlplanev1beta1.ConditionKubeconfigReady)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonProviderConfigNotGranted))

	// Granted by label: the change is rendered.
	mergePatch(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, `{"metadata":{"labels":{"grants-test/team":"a"}}}`)
	grantTo(t, config, &infrastructurev1beta1.AllowedNamespaces{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"grants-test/team": "a"}}})
	g.Eventually(func(g Gomega) {
		g.Expect(specOf(g, getWorkspace(g, ws))["forProvider"]).To(HaveKeyWithValue("module", "git::https://example.com/eks-next.git"))
	}, timeout, poll).Should(Succeed())
}
