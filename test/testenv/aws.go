package testenv

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
)

// AWSCredentials are the fixed credentials the tests sign EKS tokens with;
// nothing ever sends them to AWS.
var AWSCredentials = aws.Credentials{AccessKeyID: "AKIDCAPTTEST", SecretAccessKey: "capt-test-secret-key"}

// ProvideAWSCredentials installs what a CAPT user already has for
// provider-terraform: the ProviderConfig providerConfig whose credentials
// are AWSCredentials in the Secret crossplane-system/aws-credentials, and
// the ClusterProviderConfig of that name where it is served, granted to
// every namespace (GrantEveryNamespace).
func ProvideAWSCredentials(ctx context.Context, c client.Client, providerConfig string) error {
	if err := ProvideProviderConfig(ctx, c, providerConfig, "aws-credentials", AWSCredentials); err != nil {
		return err
	}
	return GrantEveryNamespace(ctx, c, providerConfig)
}

// ProvideProviderConfig installs the ProviderConfig name whose credentials
// are creds, an AWS ini in the Secret crossplane-system/secret, and the
// ClusterProviderConfig of that name with the same credentials where
// provider-terraform v1 serves it. It grants nothing. Objects that exist
// already are left as they are.
func ProvideProviderConfig(ctx context.Context, c client.Client, name, secret string, creds aws.Credentials) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crossplane-system"}}
	if err := c.Create(ctx, ns); client.IgnoreAlreadyExists(err) != nil {
		return err
	}
	credentials := CredentialsSecret(ns.Name, secret, creds)
	if err := c.Create(ctx, credentials); client.IgnoreAlreadyExists(err) != nil {
		return err
	}
	pc := &tfv1beta1.ProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: tfv1beta1.ProviderConfigSpec{Credentials: []tfv1beta1.ProviderCredentials{{
			Filename: "aws-creds.ini", Source: tfv1beta1.CredentialsSourceSecret,
			SecretRef: &tfv1beta1.KeyReference{Namespace: ns.Name, Name: credentials.Name, Key: "credentials"},
		}}},
	}
	if err := c.Create(ctx, pc); client.IgnoreAlreadyExists(err) != nil && !meta.IsNoMatchError(err) {
		return err // where served: an install may have activated v1's namespaced kinds alone
	}
	// provider-terraform v1's namespaced Workspaces name a
	// ClusterProviderConfig: the same credentials, where it is served.
	cpc := &tfmv1beta1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: pc.Spec}
	if err := c.Create(ctx, cpc); client.IgnoreAlreadyExists(err) != nil && !meta.IsNoMatchError(err) {
		return err
	}
	return nil
}

// GrantEveryNamespace is the one step that turns grants off for a
// single-tenant management cluster, as docs/security.md gives it: the
// ProviderConfig and the ClusterProviderConfig providerConfig may be used
// from every namespace (allowedNamespaces: {}).
func GrantEveryNamespace(ctx context.Context, c client.Client, providerConfig string) error {
	for _, kind := range []infrastructurev1beta1.GrantedKind{infrastructurev1beta1.GrantedProviderConfigKind, infrastructurev1beta1.GrantedClusterProviderConfigKind} {
		grant := &infrastructurev1beta1.ProviderConfigGrant{
			ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(string(kind)) + "-" + providerConfig + "-everywhere"},
			Spec: infrastructurev1beta1.ProviderConfigGrantSpec{
				ProviderConfigRef: infrastructurev1beta1.GrantedProviderConfig{Kind: kind, Name: providerConfig},
				AllowedNamespaces: &infrastructurev1beta1.AllowedNamespaces{},
			},
		}
		if err := c.Create(ctx, grant); client.IgnoreAlreadyExists(err) != nil {
			return fmt.Errorf("granting %s %s to every namespace: %w", kind, providerConfig, err)
		}
	}
	return nil
}

// CredentialsSecret is the Secret namespace/name holding creds as an AWS
// ini under the key "credentials", as provider-terraform's ProviderConfigs
// and spec.credentialsSecretRef read them.
func CredentialsSecret(namespace, name string, creds aws.Credentials) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace}, Data: map[string][]byte{
		"credentials": fmt.Appendf(nil, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", creds.AccessKeyID, creds.SecretAccessKey)}}
}
