package lifecycle

import (
	"encoding/base64"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/kubeconfig"
	"github.com/capt-controlplane/capt-controlplane/internal/ekstoken"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// tokenOf reads the token kubeconfig Secret: its token, its expiry and its
// resourceVersion.
func tokenOf(g Gomega, key types.NamespacedName) (string, time.Time, string) {
	secret := get(g, key, &corev1.Secret{})
	token, err := testenv.BearerToken(secret.Data["value"])
	g.Expect(err).NotTo(HaveOccurred())
	expires, err := time.Parse(time.RFC3339, secret.Annotations[kubeconfig.AnnotationTokenExpires])
	g.Expect(err).NotTo(HaveOccurred())
	return token, expires, secret.ResourceVersion
}

// readyWithToken makes a control plane of a new Cluster ready in a new
// namespace and waits for its token kubeconfig Secret and KubeconfigReady,
// and returns the Secret's key.
func readyWithToken(t *testing.T, namespace, name string) (string, *controlplanev1beta1.CAPTControlPlane, types.NamespacedName) {
	t.Helper()
	ns := newNamespace(t, namespace)
	newTemplate(t, ns, "eks")
	cp := newControlPlane(t, ns, name, nil)
	provide(t, waitWorkspace(t, ns, name+"-eks-controlplane"), readyOutputs)
	key := types.NamespacedName{Namespace: ns, Name: name + "-kubeconfig"}
	NewWithT(t).Eventually(func(g Gomega) { tokenOf(g, key) }, timeout, poll).Should(Succeed())
	// The manager's controller reports the token after writing the Secret;
	// the tests' own reconciles start once it has, or they would see the
	// condition missing and put it back.
	waitCondition(t, cp, controlplanev1beta1.ConditionKubeconfigReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
	})
	return ns, cp, key
}

// TestSensitiveCAFromTheConnectionSecret: provider-terraform writes a
// sensitive output (the CA, as provide marks it) to the Workspace's
// connection Secret only; both kubeconfigs carry it all the same, and the
// mirror does not.
func TestSensitiveCAFromTheConnectionSecret(t *testing.T) {
	g := NewWithT(t)
	ns, cp, _ := readyWithToken(t, "sensitive-ca", "sensitive")
	wantCA, err := base64.StdEncoding.DecodeString(readyOutputs[kubeconfigs.OutputCA].(string))
	g.Expect(err).NotTo(HaveOccurred())

	mirrored := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
	g.Expect(string(mirrored.Status.WorkspaceStatus.AtProvider.Raw)).NotTo(ContainSubstring(kubeconfigs.OutputCA))
	testenv.WaitKubeconfigCAs(t, env.Client, ns, "sensitive", wantCA, timeout, poll)
}

// TestTokenRenewal: the token is written once, not again while it is good
// (a reconcile then only schedules the renewal), and renewed RenewBefore
// its expiry with one write.
func TestTokenRenewal(t *testing.T) {
	g := NewWithT(t)
	_, cp, key := readyWithToken(t, "token-renewal", "renew")
	token, expires, version := tokenOf(g, key)

	// A reconcile while the token is good writes nothing and asks to come
	// back RenewBefore its expiry.
	now := time.Now()
	requests := &testenv.RequestLog{}
	cfg := rest.CopyConfig(env.Config)
	cfg.WrapTransport = requests.Wrap
	counted, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())
	direct := &kubeconfig.Reconciler{Client: counted, APIReader: counted, Recorder: events.NewFakeRecorder(10), Now: func() time.Time { return now }}
	result, err := direct.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cp)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(result.RequeueAfter).To(Equal(expires.Add(-kubeconfig.RenewBefore).Sub(now)))
	_, _, again := tokenOf(g, key)
	g.Expect(again).To(Equal(version), "no write while the token is good")
	g.Expect(testenv.Writes(requests.Since(0))).To(BeEmpty())

	// At the renewal deadline: one new token, one write.
	later := expires.Add(-kubeconfig.RenewBefore).Add(time.Second)
	direct.Now = func() time.Time { return later }
	mark := requests.Mark()
	result, err = direct.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cp)})
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(testenv.CountByKey(testenv.Writes(requests.Since(mark)))).To(Equal(map[string]int{"apply secrets (capt-kubeconfig)": 1}), "one write per renewal")
	renewed, renewedExpires, _ := tokenOf(g, key)
	g.Expect(renewed).NotTo(Equal(token))
	g.Expect(renewedExpires).To(Equal(later.Add(ekstoken.Lifetime).Truncate(time.Second)))
	g.Expect(result.RequeueAfter).To(Equal(ekstoken.Lifetime - kubeconfig.RenewBefore))
	g.Expect(testenv.VerifyEKSToken(renewed, testenv.AWSCredentials, "flow-eks", later)).To(Succeed())
}

// TestMissingCredentials: without credentials no token can be signed: the
// condition and a Warning Event name the reason, and a Secret written
// before stays.
func TestMissingCredentials(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "token-credentials")
	g.Expect(testenv.GrantEveryNamespace(t.Context(), env.Client, "nowhere")).To(Succeed())
	newTemplate(t, ns, "eks")
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"template":{"spec":{"providerConfigRef":{"name":"nowhere"}}}}}`)
	cp := newControlPlane(t, ns, "nocreds", nil)
	provide(t, waitWorkspace(t, ns, "nocreds-eks-controlplane"), readyOutputs)
	waitCondition(t, cp, controlplanev1beta1.ConditionKubeconfigReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonCredentialsUnavailable))
		g.Expect(c.Message).To(ContainSubstring("ProviderConfig nowhere"))
	})
	g.Eventually(func() ([]string, error) {
		list, err := testenv.Events(t.Context(), env.Client, ns, cp.Name, controlplanev1beta1.ReasonCredentialsUnavailable)
		var notes []string
		for _, e := range list {
			notes = append(notes, e.Type+": "+e.Note)
		}
		return notes, err
	}, timeout, poll).Should(ContainElement(ContainSubstring("ProviderConfig nowhere")))
	err := env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: "nocreds-kubeconfig"}, &corev1.Secret{})
	g.Expect(err).To(HaveOccurred(), "no Secret without a token")
}

// TestBrokenCredentialsKeepTheOldSecret: credentials that stop working at
// renewal leave the Secret as it was (its token may still be good) and say
// why.
func TestBrokenCredentialsKeepTheOldSecret(t *testing.T) {
	g := NewWithT(t)
	ns, cp, key := readyWithToken(t, "token-broken", "broken")
	token, expires, version := tokenOf(g, key)
	g.Expect(testenv.GrantEveryNamespace(t.Context(), env.Client, "gone")).To(Succeed())

	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"template":{"spec":{"providerConfigRef":{"name":"gone"}}}}}`)
	// A namespaced Workspace's credentials are those of the provider
	// configuration it names: wait until the change has reached it.
	ws := testenv.WorkspaceKey(ns, "broken-eks-controlplane")
	g.Eventually(func(g Gomega) {
		got, err := testenv.GetWorkspace(t.Context(), env.Client, ws)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(specOf(g, got)["providerConfigRef"]).To(HaveKeyWithValue("name", "gone"))
	}, timeout, poll).Should(Succeed())
	due := expires.Add(-kubeconfig.RenewBefore).Add(time.Second)
	recorder := events.NewFakeRecorder(10)
	direct := &kubeconfig.Reconciler{Client: env.Client, APIReader: env.Client, Recorder: recorder, Now: func() time.Time { return due }}
	_, err := direct.Reconcile(t.Context(), ctrl.Request{NamespacedName: client.ObjectKeyFromObject(cp)})
	g.Expect(err).NotTo(HaveOccurred())
	kept, _, keptVersion := tokenOf(g, key)
	g.Expect(kept).To(Equal(token))
	g.Expect(keptVersion).To(Equal(version), "the old Secret stays as it was")
	g.Expect(<-recorder.Events).To(ContainSubstring("ProviderConfig gone"))
	got := get(g, client.ObjectKeyFromObject(cp), &controlplanev1beta1.CAPTControlPlane{})
	c := meta.FindStatusCondition(got.Status.Conditions, controlplanev1beta1.ConditionKubeconfigReady)
	g.Expect(c).NotTo(BeNil())
	g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
	g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonCredentialsUnavailable))
}

// TestCredentialsSecretRefOverrides: a control plane's credentialsSecretRef
// wins over the template's ProviderConfig (which here does not exist).
func TestCredentialsSecretRefOverrides(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "token-override")
	g.Expect(testenv.GrantEveryNamespace(t.Context(), env.Client, "nowhere")).To(Succeed())
	newTemplate(t, ns, "eks")
	mergePatch(t, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eks"}},
		`{"spec":{"template":{"spec":{"providerConfigRef":{"name":"nowhere"}}}}}`)
	own := testenv.AWSCredentials
	own.AccessKeyID, own.SecretAccessKey = "AKIDOVERRIDE", "override-secret"
	g.Expect(env.Client.Create(t.Context(), testenv.CredentialsSecret(ns, "team-aws", own))).To(Succeed())
	newControlPlane(t, ns, "override", nil, func(cp *controlplanev1beta1.CAPTControlPlane) {
		cp.Spec.CredentialsSecretRef = &controlplanev1beta1.SecretKeyReference{Name: "team-aws"}
	})
	provide(t, waitWorkspace(t, ns, "override-eks-controlplane"), readyOutputs)
	key := types.NamespacedName{Namespace: ns, Name: "override-kubeconfig"}
	g.Eventually(func(g Gomega) { tokenOf(g, key) }, timeout, poll).Should(Succeed())
	token, expires, _ := tokenOf(g, key)
	signedAt := expires.Add(-ekstoken.Lifetime)
	g.Expect(testenv.VerifyEKSToken(token, own, "flow-eks", signedAt)).To(Succeed(), "signed with the control plane's own credentials")
	g.Expect(testenv.VerifyEKSToken(token, testenv.AWSCredentials, "flow-eks", signedAt)).NotTo(Succeed())
}

// TestCredentialsSecretRefOfAnotherNamespaceIsRefused: a control plane
// signs only with credentials of its own namespace. A credentialsSecretRef
// into another namespace is refused before anything is read — whether the
// Secret exists there or not, the condition says the same — and no token
// is signed.
func TestCredentialsSecretRefOfAnotherNamespaceIsRefused(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t, "token-foreign-creds")
	other := newNamespace(t, "token-foreign-creds-other")
	g.Expect(env.Client.Create(t.Context(), testenv.CredentialsSecret(other, "platform-aws", testenv.AWSCredentials))).To(Succeed())
	newTemplate(t, ns, "eks")
	messages := map[string]string{}
	// Control plane names are unique in the suite: cluster-scoped
	// Workspaces share one namespace of names.
	for name, secret := range map[string]string{"creds-exist": "platform-aws", "creds-missing": "nothing-here"} {
		cp := newControlPlane(t, ns, name, nil, func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Spec.CredentialsSecretRef = &controlplanev1beta1.SecretKeyReference{Name: secret, Namespace: other}
		})
		provide(t, waitWorkspace(t, ns, name+"-eks-controlplane"), readyOutputs)
		waitCondition(t, cp, controlplanev1beta1.ConditionKubeconfigReady, func(g Gomega, c *metav1.Condition) {
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonCredentialsUnavailable))
			g.Expect(c.Message).To(ContainSubstring("own namespace only"))
			messages[name] = c.Message
		})
		err := env.Client.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: name + "-kubeconfig"}, &corev1.Secret{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a token signed with another namespace's credentials")
	}
	g.Expect(messages["creds-exist"]).To(Equal(messages["creds-missing"]), "the refusal tells whether a Secret exists in another namespace")
}
