package testenv

import (
	"testing"

	"github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TenantRules are what a team may do in its own namespace of a shared
// management cluster: everything with Cluster API's and CAPT's namespaced
// kinds, its Secrets and ConfigMaps, and provider-terraform v1's
// namespaced Workspaces and ProviderConfigs; read its Events. Nothing
// cluster-scoped, nothing in another namespace.
var TenantRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"controlplane.cluster.x-k8s.io"}, Resources: []string{"captcontrolplanes", "captcontrolplanetemplates"}, Verbs: []string{"*"}},
	{APIGroups: []string{"infrastructure.cluster.x-k8s.io"}, Resources: []string{"workspacetemplates", "workspacetemplateapplies"}, Verbs: []string{"*"}},
	{APIGroups: []string{"cluster.x-k8s.io"}, Resources: []string{"clusters"}, Verbs: []string{"*"}},
	{APIGroups: []string{""}, Resources: []string{"secrets", "configmaps"}, Verbs: []string{"*"}},
	{APIGroups: []string{"tf.m.upbound.io"}, Resources: []string{"workspaces", "providerconfigs"}, Verbs: []string{"*"}},
	{APIGroups: []string{"events.k8s.io"}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"}},
}

// Tenant creates, in namespace, the ServiceAccount tenant bound to a Role of
// TenantRules, and returns a client that authenticates with a token issued
// for it (TokenRequest): the API server, not an impersonation, decides who
// it is.
func Tenant(t testing.TB, env *Env, namespace string) client.Client {
	t.Helper()
	g := gomega.NewWithT(t)
	ctx := t.Context()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: namespace}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: namespace}, Rules: TenantRules}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "tenant", Namespace: namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: namespace}},
	}
	for _, obj := range []client.Object{sa, role, binding} {
		g.Expect(env.Client.Create(ctx, obj)).To(gomega.Succeed())
	}
	clientset, err := kubernetes.NewForConfig(env.Config)
	g.Expect(err).NotTo(gomega.HaveOccurred())
	hour := int64(3600)
	token, err := clientset.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, sa.Name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &hour}}, metav1.CreateOptions{})
	g.Expect(err).NotTo(gomega.HaveOccurred())

	cfg := rest.AnonymousClientConfig(env.Config)
	cfg.BearerToken = token.Status.Token
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(gomega.HaveOccurred())
	return c
}
