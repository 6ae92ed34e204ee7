// Package tenancy tries, against bin/manager running as its ServiceAccount
// with config/default's RBAC, every attack a tenant of a shared management
// cluster could make through the manager — as two teams, each a
// ServiceAccount with a namespaced Role and a token of its own — and checks
// that each is refused (docs/security.md).
package tenancy

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

const (
	teamA = "team-a"
	teamB = "team-b"
	// platformConfig is the platform's own provider configuration, granted
	// to no team; "default" is granted to every namespace.
	platformConfig = "platform"

	timeout = 30 * time.Second
	poll    = 100 * time.Millisecond
	// quiet is how long "nothing happens" is watched for: several
	// resyncs of the manager.
	quiet       = 3 * time.Second
	syncPeriod  = time.Second
	clusterName = "tenancy-eks"
)

// platformCredentials are the platform's AWS credentials, behind its
// ProviderConfig; teamACredentials and teamBCredentials each team's own.
var (
	platformCredentials = aws.Credentials{AccessKeyID: "AKIDPLATFORM", SecretAccessKey: "platform"}
	teamACredentials    = aws.Credentials{AccessKeyID: "AKIDTEAMA", SecretAccessKey: "team-a"}
	teamBCredentials    = aws.Credentials{AccessKeyID: "AKIDTEAMB", SecretAccessKey: "team-b"}
)

// outputs make a control plane ready with an endpoint and a CA.
var outputs = map[string]any{
	"cluster_endpoint":                   "https://0123456789ABCDEF.gr7.ap-northeast-1.eks.amazonaws.com",
	"cluster_name":                       clusterName,
	"cluster_certificate_authority_data": base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")),
}

// world is the shared management cluster: the admin's client, and each
// team's own.
type world struct {
	env          *testenv.Env
	admin        client.Client
	teamA, teamB client.Client
}

// TestTenantsThroughTheManager runs bin/manager as its ServiceAccount and
// each attack as a subtest.
func TestTenantsThroughTheManager(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.Start()
	g.Expect(err).NotTo(HaveOccurred())
	t.Cleanup(func() { _ = env.Stop() })
	testenv.InstallConfigDefault(t, env)
	for _, ns := range []string{teamA, teamB} {
		g.Expect(env.Client.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
	}
	// The platform shares "default" with every namespace and keeps
	// "platform" for itself.
	g.Expect(testenv.ProvideAWSCredentials(t.Context(), env.Client, "default")).To(Succeed())
	g.Expect(testenv.ProvideProviderConfig(t.Context(), env.Client, platformConfig, "platform-credentials", platformCredentials)).To(Succeed())
	w := &world{env: env, admin: env.Client, teamA: testenv.Tenant(t, env, teamA), teamB: testenv.Tenant(t, env, teamB)}
	_, metricsURL := testenv.StartManagerBinary(t, env, syncPeriod)
	testenv.WaitControllersStarted(t, metricsURL)

	t.Run("the platform's ProviderConfig is not a tenant's", w.platformProviderConfigIsRefused)
	t.Run("another namespace's credentials Secret is not a tenant's", w.otherNamespacesCredentialsAreRefused)
	t.Run("a tenant cannot grant itself", w.tenantCannotGrant)
	t.Run("a grant lets the granted team alone, and taken back destroys nothing", w.grantAllowsOnlyTheGrantedTeam)
	t.Run("an admin's Workspace is never taken over or destroyed", w.adminsWorkspaceIsNeverTaken)
	t.Run("a squatted Workspace name gives another team nothing", w.squattedNameGivesNothing)
	t.Run("references stay in the tenant's namespace", w.referencesStayLocal)
	t.Run("another namespace's template only where shared", w.templatesOnlyWhereShared)
	t.Run("names that cannot be labels are refused at creation", w.longNamesAreRefused)
	t.Run("a namespaced ProviderConfig's Secret is read in its namespace", w.namespacedProviderConfigReadsItsOwnNamespace)
	t.Run("Workspaces an admin applied with kubectl are never taken", w.kubectlAppliedWorkspacesAreNeverTaken)
	t.Run("waits say nothing of other namespaces", w.waitsSayNothingOfOtherNamespaces)
	t.Run("labels naming another namespace's control plane name nothing", w.labelsNamingAnotherNamespaceNameNothing)
	t.Run("Secrets the manager did not create are never adopted", w.secretsItDidNotCreateAreNeverAdopted)
	t.Run("namespaces labelled namespaced-only render no cluster-scoped Workspace", w.namespacedOnlyNamespaces)
	// Last: it leaves 200 control planes behind.
	t.Run("a burst of one namespace does not starve another", w.burstOfOneNamespaceDoesNotStarveAnother)
}

// template creates, as the tenant c, a template in ns of the given scope.
func template(t *testing.T, c client.Client, ns, name string, scope infrastructurev1beta1.WorkspaceScope, mutate ...func(*infrastructurev1beta1.WorkspaceTemplate)) {
	t.Helper()
	testenv.CreateTemplate(t, c, ns, name, scope, mutate...)
}

// controlPlane creates, as the tenant c, a Cluster and its control plane
// from template.
func controlPlane(t *testing.T, c client.Client, ns, name, template string, mutate ...func(*controlplanev1beta1.CAPTControlPlane)) *controlplanev1beta1.CAPTControlPlane {
	t.Helper()
	g := NewWithT(t)
	paused := false
	cluster := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: clusterv1.ClusterSpec{Paused: &paused}}
	g.Expect(c.Create(t.Context(), cluster)).To(Succeed())
	cp := newControlPlane(cluster, template)
	for _, m := range mutate {
		m(cp)
	}
	g.Expect(c.Create(t.Context(), cp)).To(Succeed())
	return cp
}

// waitCondition waits until the tenant c reads the control plane's
// condition and check passes on it.
func waitCondition(t *testing.T, c client.Client, cp *controlplanev1beta1.CAPTControlPlane, conditionType string, check func(Gomega, *metav1.Condition)) {
	t.Helper()
	testenv.WaitControlPlaneCondition(t, c, cp, conditionType, check, timeout, poll)
}

// waitSynced waits until the tenant c reads the apply's Synced condition
// and check passes on it.
func waitSynced(t *testing.T, c client.Client, apply *infrastructurev1beta1.WorkspaceTemplateApply, check func(Gomega, *tfv1beta1.Condition)) {
	t.Helper()
	NewWithT(t).Eventually(func(g Gomega) {
		got := &infrastructurev1beta1.WorkspaceTemplateApply{}
		g.Expect(c.Get(t.Context(), client.ObjectKeyFromObject(apply), got)).To(Succeed())
		synced := tfv1beta1.FindCondition(got.Status.Conditions, tfv1beta1.TypeSynced)
		g.Expect(synced).NotTo(BeNil(), "no Synced condition")
		check(g, synced)
	}, timeout, poll).Should(Succeed())
}

// neverGetsAnything checks, for a while, that the control plane is not
// Ready, has no endpoint and no kubeconfig Secret of either kind.
func (w *world) neverGetsAnything(t *testing.T, cp *controlplanev1beta1.CAPTControlPlane) {
	t.Helper()
	NewWithT(t).Consistently(func(g Gomega) {
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(w.admin.Get(t.Context(), client.ObjectKeyFromObject(cp), got)).To(Succeed())
		g.Expect(got.Status.Ready).To(BeFalse(), "Ready")
		g.Expect(got.Spec.ControlPlaneEndpoint.Host).To(BeEmpty(), "an endpoint")
		g.Expect(got.Status.WorkspaceStatus).To(BeNil(), "a mirror")
		for _, name := range []string{cp.Name + "-kubeconfig", cp.Name + controlplanev1beta1.UserKubeconfigSecretSuffix} {
			err := w.admin.Get(t.Context(), types.NamespacedName{Namespace: cp.Namespace, Name: name}, &corev1.Secret{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Secret %s: %v", name, err)
		}
	}, quiet, poll).Should(Succeed())
}

// noWorkspace checks, for a while, that no Workspace of either kind named
// name exists for team-a, which every refused attack comes from.
func (w *world) noWorkspace(t *testing.T, name string) {
	t.Helper()
	NewWithT(t).Consistently(func(g Gomega) {
		for _, key := range []types.NamespacedName{{Name: name}, {Namespace: teamA, Name: name}} {
			err := w.admin.Get(t.Context(), key, testenv.NewWorkspace(key))
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "Workspace %s: %v", key, err)
		}
	}, quiet, poll).Should(Succeed())
}

// 1. A tenant's template naming the platform's ProviderConfig (of either
// kind) renders nothing and gets no token.
func (w *world) platformProviderConfigIsRefused(t *testing.T) {
	for _, scope := range []infrastructurev1beta1.WorkspaceScope{infrastructurev1beta1.WorkspaceScopeCluster, infrastructurev1beta1.WorkspaceScopeNamespaced} {
		t.Run(string(scope), func(t *testing.T) {
			name := "borrow-" + strings.ToLower(string(scope))
			template(t, w.teamA, teamA, name, scope, func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
				tmpl.Spec.Template.Spec.ProviderConfigReference = &tfv1beta1.ProviderConfigReference{Name: platformConfig}
			})
			cp := controlPlane(t, w.teamA, teamA, name, name)
			kind := "ProviderConfig"
			if scope == infrastructurev1beta1.WorkspaceScopeNamespaced {
				kind = "ClusterProviderConfig"
			}
			waitCondition(t, w.teamA, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
				g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonProviderConfigNotGranted))
				g.Expect(c.Message).To(ContainSubstring(kind + " " + platformConfig + " is not granted to namespace " + teamA))
			})
			w.noWorkspace(t, name+"-eks-controlplane")
			w.neverGetsAnything(t, cp)
		})
	}
}

// 1. A control plane whose credentialsSecretRef names another namespace's
// Secret gets no token, and is told so without learning whether it exists.
func (w *world) otherNamespacesCredentialsAreRefused(t *testing.T) {
	g := NewWithT(t)
	g.Expect(w.teamB.Create(t.Context(), testenv.CredentialsSecret(teamB, "aws", teamBCredentials))).To(Succeed())
	template(t, w.teamA, teamA, "creds", "")
	messages := map[string]string{}
	for _, secret := range []string{"aws", "nothing"} {
		cp := controlPlane(t, w.teamA, teamA, "creds-"+secret, "creds", func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Spec.CredentialsSecretRef = &controlplanev1beta1.SecretKeyReference{Namespace: teamB, Name: secret}
		})
		ws := waitRendered(t, w.admin, teamA, cp.Name+"-eks-controlplane")
		g.Expect(testenv.Provide(t.Context(), w.admin, ws, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
		waitCondition(t, w.teamA, cp, controlplanev1beta1.ConditionKubeconfigReady, func(g Gomega, c *metav1.Condition) {
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(controlplanev1beta1.ReasonCredentialsUnavailable))
			messages[secret] = c.Message
		})
		err := w.admin.Get(t.Context(), types.NamespacedName{Namespace: teamA, Name: cp.Name + "-kubeconfig"}, &corev1.Secret{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a kubeconfig signed with team-b's credentials: %v", err)
	}
	g.Expect(messages["aws"]).To(ContainSubstring("credentials of its own namespace only"))
	g.Expect(messages["aws"]).To(Equal(messages["nothing"]), "the refusal tells whether team-b's Secret exists")
}

// waitRendered waits for the Workspace name the manager renders for an
// apply of namespace ns (either kind) and returns its key.
func waitRendered(t *testing.T, admin client.Client, ns, name string) types.NamespacedName {
	t.Helper()
	var found types.NamespacedName
	NewWithT(t).Eventually(func() bool {
		for _, key := range []types.NamespacedName{{Namespace: ns, Name: name}, {Name: name}} {
			if admin.Get(t.Context(), key, testenv.NewWorkspace(key)) == nil {
				found = key
				return true
			}
		}
		return false
	}, timeout, poll).Should(BeTrue(), "Workspace %s rendered", name)
	return found
}

// 1. The grant is the platform's: a tenant cannot write one.
func (w *world) tenantCannotGrant(t *testing.T) {
	err := w.teamA.Create(t.Context(), &infrastructurev1beta1.ProviderConfigGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a-takes-platform"},
		Spec: infrastructurev1beta1.ProviderConfigGrantSpec{
			ProviderConfigRef: infrastructurev1beta1.GrantedProviderConfig{Kind: infrastructurev1beta1.GrantedProviderConfigKind, Name: platformConfig},
			AllowedNamespaces: &infrastructurev1beta1.AllowedNamespaces{},
		},
	})
	NewWithT(t).Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a tenant wrote a grant: %v", err)
}

// 1. The platform grants its configuration to team-b by name: team-b's
// control plane renders with it and gets a token signed with the
// platform's credentials, team-a (still not granted) nothing. Taken back,
// team-b's Workspace stays as rendered — not deleted, not changed by a
// template change — its control plane stays Ready saying changes are not
// applied, and its mirror and token are kept (the token is not renewed:
// TestProviderConfigsOnlyWhereGranted, whose clock can be moved).
func (w *world) grantAllowsOnlyTheGrantedTeam(t *testing.T) {
	g := NewWithT(t)
	ctx := t.Context()
	grant := &infrastructurev1beta1.ProviderConfigGrant{
		ObjectMeta: metav1.ObjectMeta{Name: "platform-to-team-b"},
		Spec: infrastructurev1beta1.ProviderConfigGrantSpec{
			ProviderConfigRef: infrastructurev1beta1.GrantedProviderConfig{Kind: infrastructurev1beta1.GrantedProviderConfigKind, Name: platformConfig},
			AllowedNamespaces: &infrastructurev1beta1.AllowedNamespaces{List: []string{teamB}},
		},
	}
	g.Expect(w.admin.Create(ctx, grant)).To(Succeed())
	const name = "granted"
	template(t, w.teamB, teamB, name, infrastructurev1beta1.WorkspaceScopeCluster, func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
		tmpl.Spec.Template.Spec.ProviderConfigReference = &tfv1beta1.ProviderConfigReference{Name: platformConfig}
	})
	cp := controlPlane(t, w.teamB, teamB, name, name)
	wsKey := waitRendered(t, w.admin, teamB, name+"-eks-controlplane")
	g.Expect(testenv.Provide(ctx, w.admin, wsKey, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())
	waitCondition(t, w.teamB, cp, controlplanev1beta1.ConditionKubeconfigReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
	})
	secretKey := types.NamespacedName{Namespace: teamB, Name: name + "-kubeconfig"}
	token := tokenOf(t, w.teamB, secretKey)
	g.Expect(testenv.VerifyEKSToken(token, platformCredentials, clusterName, time.Now())).To(Succeed())
	// team-a's control plane naming the same configuration: still refused.
	w.noWorkspace(t, "borrow-cluster-eks-controlplane")

	// Taken back.
	rendered, err := testenv.GetWorkspace(ctx, w.admin, wsKey)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(w.admin.Delete(ctx, grant)).To(Succeed())
	g.Expect(w.teamB.Patch(ctx, &infrastructurev1beta1.WorkspaceTemplate{ObjectMeta: metav1.ObjectMeta{Namespace: teamB, Name: name}},
		client.RawPatch(types.MergePatchType, []byte(`{"spec":{"template":{"spec":{"forProvider":{"module":"git::https://example.com/eks-next.git"}}}}}`)))).To(Succeed())
	waitCondition(t, w.teamB, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Status).To(Equal(metav1.ConditionTrue), "the cluster runs as rendered before")
		g.Expect(c.Message).To(ContainSubstring("changes are not applied"))
		g.Expect(c.Message).To(ContainSubstring(platformConfig + " is not granted to namespace " + teamB))
	})
	g.Consistently(func(g Gomega) {
		now, err := testenv.GetWorkspace(ctx, w.admin, wsKey)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(now.GetUID()).To(Equal(rendered.GetUID()))
		g.Expect(now.GetDeletionTimestamp()).To(BeNil(), "the Workspace is being deleted")
		g.Expect(now.GetGeneration()).To(Equal(rendered.GetGeneration()), "the Workspace changed without a grant")
		got := &controlplanev1beta1.CAPTControlPlane{}
		g.Expect(w.teamB.Get(ctx, client.ObjectKeyFromObject(cp), got)).To(Succeed())
		g.Expect(got.Status.WorkspaceStatus).NotTo(BeNil(), "the mirror is kept")
	}, quiet, poll).Should(Succeed())
	g.Expect(tokenOf(t, w.teamB, secretKey)).To(Equal(token), "a token signed without a grant")
}

// tokenOf is the bearer token of the kubeconfig Secret at key, read as c.
func tokenOf(t *testing.T, c client.Client, key types.NamespacedName) string {
	t.Helper()
	g := NewWithT(t)
	secret := &corev1.Secret{}
	g.Expect(c.Get(t.Context(), key, secret)).To(Succeed())
	token, err := testenv.BearerToken(secret.Data["value"])
	g.Expect(err).NotTo(HaveOccurred())
	return token
}

// 2. An apply rendering the name of the admin's cluster-scoped Workspace
// does not change it, and deleting the apply does not delete it.
func (w *world) adminsWorkspaceIsNeverTaken(t *testing.T) {
	g := NewWithT(t)
	admins := &tfv1beta1.Workspace{
		ObjectMeta: metav1.ObjectMeta{Name: "platform-network"},
		Spec: tfv1beta1.WorkspaceSpec{ForProvider: tfv1beta1.WorkspaceParameters{
			Source: tfv1beta1.ModuleSourceRemote, Module: "git::https://example.com/platform-network.git"}},
	}
	g.Expect(w.admin.Create(t.Context(), admins, client.FieldOwner("platform"))).To(Succeed())
	time.Sleep(1100 * time.Millisecond) // creation times have a one-second grain
	template(t, w.teamA, teamA, "takeover", infrastructurev1beta1.WorkspaceScopeCluster, func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
		tmpl.Spec.Template.Spec.ForProvider.Module = "git::https://example.com/team-a-owns-this.git"
	})
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: "platform-network-apply", Namespace: teamA},
		Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "takeover"},
			Variables: map[string]string{"cluster_name": "x"}},
	}
	g.Expect(w.teamA.Create(t.Context(), apply)).To(Succeed())
	waitSynced(t, w.teamA, apply, func(g Gomega, synced *tfv1beta1.Condition) {
		g.Expect(synced.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceNameConflict))
	})

	g.Expect(w.teamA.Delete(t.Context(), apply)).To(Succeed())
	g.Eventually(func() bool {
		return apierrors.IsNotFound(w.admin.Get(t.Context(), client.ObjectKeyFromObject(apply), &infrastructurev1beta1.WorkspaceTemplateApply{}))
	}, timeout, poll).Should(BeTrue(), "the apply's deletion completes")
	got := &tfv1beta1.Workspace{}
	g.Expect(w.admin.Get(t.Context(), types.NamespacedName{Name: admins.Name}, got)).To(Succeed(), "the admin's Workspace was deleted")
	g.Expect(got.DeletionTimestamp).To(BeNil(), "the admin's Workspace is being deleted")
	g.Expect(got.Generation).To(Equal(admins.Generation), "the admin's Workspace was changed")
	g.Expect(got.Spec.ForProvider.Module).To(Equal("git::https://example.com/platform-network.git"))
}

// 3. team-a renders the cluster-scoped Workspace name team-b's control
// plane would render, labelling its apply as team-b's; team-b's control
// plane gets a conflict and nothing of team-a's Workspace: no Ready, no
// endpoint, no kubeconfig signed with team-b's credentials.
func (w *world) squattedNameGivesNothing(t *testing.T) {
	g := NewWithT(t)
	template(t, w.teamA, teamA, "squat", infrastructurev1beta1.WorkspaceScopeCluster)
	squat := &infrastructurev1beta1.WorkspaceTemplateApply{
		ObjectMeta: metav1.ObjectMeta{Name: "prod-eks-controlplane-apply", Namespace: teamA, Labels: map[string]string{
			controlplanev1beta1.LabelControlPlaneNamespace: teamB, controlplanev1beta1.LabelControlPlaneName: "prod",
		}},
		Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: "squat"},
			Variables: map[string]string{"cluster_name": "team-a-cluster"}},
	}
	g.Expect(w.teamA.Create(t.Context(), squat)).To(Succeed())
	key := waitRendered(t, w.admin, teamA, "prod-eks-controlplane")
	g.Expect(key.Namespace).To(BeEmpty(), "a cluster-scoped Workspace")
	g.Expect(testenv.Provide(t.Context(), w.admin, key, testenv.Observation{Ready: true, Reason: tfv1beta1.ReasonAvailable, Outputs: outputs})).To(Succeed())

	g.Expect(w.teamB.Create(t.Context(), testenv.CredentialsSecret(teamB, "prod-aws", teamBCredentials))).To(Succeed())
	template(t, w.teamB, teamB, "eks", infrastructurev1beta1.WorkspaceScopeCluster)
	cp := controlPlane(t, w.teamB, teamB, "prod", "eks", func(cp *controlplanev1beta1.CAPTControlPlane) {
		cp.Spec.CredentialsSecretRef = &controlplanev1beta1.SecretKeyReference{Name: "prod-aws"}
	})
	waitCondition(t, w.teamB, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
		g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonWorkspaceNameConflict))
	})
	w.neverGetsAnything(t, cp)
}

// 4. Every Secret reference a tenant's template or apply renders stays in
// its namespace, or nothing is rendered.
func (w *world) referencesStayLocal(t *testing.T) {
	g := NewWithT(t)
	cases := map[string]func(*infrastructurev1beta1.WorkspaceTemplate){
		"env": func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
			tmpl.Spec.Template.Spec.ForProvider.Env = []tfv1beta1.EnvVar{{Name: "AWS_SECRET", SecretKeyReference: &tfv1beta1.KeyReference{Namespace: "crossplane-system", Name: "aws-credentials", Key: "credentials"}}}
		},
		"varfiles": func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
			tmpl.Spec.Template.Spec.ForProvider.VarFiles = []tfv1beta1.VarFile{{Source: tfv1beta1.VarFileSource("SecretKey"), Format: "HCL",
				SecretKeyReference: &tfv1beta1.KeyReference{Namespace: teamB, Name: "prod-aws", Key: "credentials"}}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			template(t, w.teamA, teamA, "refs-"+name, "", mutate)
			cp := controlPlane(t, w.teamA, teamA, "refs-"+name, "refs-"+name)
			waitCondition(t, w.teamA, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
				g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonRenderFailed))
				g.Expect(c.Message).To(ContainSubstring("namespace"))
			})
			w.noWorkspace(t, cp.Name+"-eks-controlplane")
		})
	}
	// A control plane's apply names its own connection Secret; an apply
	// created directly takes the template's or names one.
	stolen := &infrastructurev1beta1.SecretReference{Name: "stolen", Namespace: "kube-system"}
	for name, refs := range map[string]struct {
		template, apply *infrastructurev1beta1.SecretReference
	}{
		"template's connection Secret": {template: stolen},
		"apply's connection Secret":    {apply: stolen},
	} {
		t.Run(name, func(t *testing.T) {
			id := "refs-conn-" + strings.Fields(name)[0][:3]
			template(t, w.teamA, teamA, id, "", func(tmpl *infrastructurev1beta1.WorkspaceTemplate) {
				tmpl.Spec.WriteConnectionSecretToRef = refs.template
			})
			apply := &infrastructurev1beta1.WorkspaceTemplateApply{
				ObjectMeta: metav1.ObjectMeta{Name: id + "-apply", Namespace: teamA},
				Spec: infrastructurev1beta1.WorkspaceTemplateApplySpec{TemplateRef: infrastructurev1beta1.WorkspaceTemplateReference{Name: id},
					Variables: map[string]string{"cluster_name": "x"}, WriteConnectionSecretToRef: refs.apply},
			}
			g.Expect(w.teamA.Create(t.Context(), apply)).To(Succeed())
			waitSynced(t, w.teamA, apply, func(g Gomega, synced *tfv1beta1.Condition) {
				g.Expect(synced.Reason).To(Equal(infrastructurev1beta1.ReasonRenderFailed))
				g.Expect(synced.Message).To(ContainSubstring("kube-system"))
			})
			w.noWorkspace(t, id)
		})
	}
}

// 4. team-b's private template is not rendered for team-a, and the refusal
// does not say whether it exists.
func (w *world) templatesOnlyWhereShared(t *testing.T) {
	g := NewWithT(t)
	template(t, w.teamB, teamB, "private", "")
	messages := map[string]string{}
	for _, name := range []string{"private", "nothing"} {
		cp := controlPlane(t, w.teamA, teamA, "uses-"+name, name, func(cp *controlplanev1beta1.CAPTControlPlane) {
			cp.Spec.WorkspaceTemplateRef.Namespace = teamB
		})
		waitCondition(t, w.teamA, cp, controlplanev1beta1.ConditionReady, func(g Gomega, c *metav1.Condition) {
			g.Expect(c.Reason).To(Equal(infrastructurev1beta1.ReasonTemplateNotShared))
			messages[name] = strings.ReplaceAll(strings.ReplaceAll(c.Message, "uses-"+name, "uses-X"), "/"+name, "/X")
		})
		w.noWorkspace(t, cp.Name+"-eks-controlplane")
	}
	g.Expect(messages["private"]).To(Equal(messages["nothing"]), "the refusal tells whether team-b's template exists")
}

// 5. A control plane name that cannot be a label value is refused when the
// tenant creates it, with the limit in the message (longer derived names
// are hashed to fit: EffectiveWorkspaceTemplateApplyName).
func (w *world) longNamesAreRefused(t *testing.T) {
	name := strings.Repeat("a", 64)
	err := w.teamA.Create(t.Context(), &controlplanev1beta1.CAPTControlPlane{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: teamA},
		Spec: controlplanev1beta1.CAPTControlPlaneSpec{Version: "1.31",
			WorkspaceTemplateRef: controlplanev1beta1.WorkspaceTemplateReference{Name: "eks"}},
	})
	g := NewWithT(t)
	g.Expect(apierrors.IsInvalid(err)).To(BeTrue(), "created: %v", err)
	g.Expect(err.Error()).To(ContainSubstring(fmt.Sprint(63)))
}
