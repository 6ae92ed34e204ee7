package kubeconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	tfmv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tfm/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ekstoken"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

// defaultProviderConfig is the ProviderConfig a Workspace without
// providerConfigRef uses.
const defaultProviderConfig = "default"

// defaultCredentialsKey is the key of a credentialsSecretRef without one.
const defaultCredentialsKey = "credentials"

// credentials reads the AWS credentials of spec.credentialsSecretRef when
// set (a Secret of the control plane's namespace), else those
// provider-terraform uses for the control plane's Workspace: the
// template's ProviderConfig, the first of its
// credentials kept in a Secret, parsed as an AWS ini. The ProviderConfig
// and the Secret are read by name from the API server. The error names the
// object and the reason.
func (r *Reconciler) credentials(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (aws.Credentials, error) {
	if ref := cp.Spec.CredentialsSecretRef; ref != nil {
		key := tfv1beta1.KeyReference{Namespace: ref.Namespace, Name: ref.Name, Key: ref.Key}
		if key.Namespace == "" {
			key.Namespace = cp.Namespace
		}
		if key.Namespace != cp.Namespace {
			// Checked before any read: the refusal says nothing of what
			// exists in another namespace.
			return aws.Credentials{}, fmt.Errorf("spec.credentialsSecretRef names namespace %s: a control plane signs with credentials of its own namespace only", key.Namespace)
		}
		if key.Key == "" {
			key.Key = defaultCredentialsKey
		}
		return r.readCredentials(ctx, key, "spec.credentialsSecretRef")
	}
	_, ws, err := ownership.WorkspaceOf(ctx, r.Client, cp)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("finding the Workspace for its ProviderConfig: %w", err)
	}
	if ws, ok := ws.(*tfmv1beta1.Workspace); ok {
		return r.namespacedCredentials(ctx, ws)
	}
	tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
	key := types.NamespacedName{Namespace: cp.Spec.WorkspaceTemplateRef.Namespace, Name: cp.Spec.WorkspaceTemplateRef.Name}
	if key.Namespace == "" {
		key.Namespace = cp.Namespace
	}
	if err := r.Client.Get(ctx, key, tmpl); err != nil {
		return aws.Credentials{}, fmt.Errorf("reading WorkspaceTemplate %s for its ProviderConfig: %w", key, err)
	}
	name := defaultProviderConfig
	if ref := tmpl.Spec.Template.Spec.ProviderConfigReference; ref != nil && ref.Name != "" {
		name = ref.Name
	}
	pc := &tfv1beta1.ProviderConfig{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Name: name}, pc); err != nil {
		return aws.Credentials{}, fmt.Errorf("reading ProviderConfig %s: %w", name, err)
	}
	return r.secretCredentials(ctx, pc.Spec, "ProviderConfig "+name)
}

// namespacedCredentials reads the credentials of the ProviderConfig (of
// the Workspace's namespace) or ClusterProviderConfig that a namespaced
// Workspace names.
func (r *Reconciler) namespacedCredentials(ctx context.Context, ws *tfmv1beta1.Workspace) (aws.Credentials, error) {
	ref := tfmv1beta1.ProviderConfigReference{Kind: tfmv1beta1.KindClusterProviderConfig, Name: defaultProviderConfig}
	if ws.Spec.ProviderConfigReference != nil {
		ref = *ws.Spec.ProviderConfigReference
	}
	if ref.Kind == tfmv1beta1.KindProviderConfig {
		pc := &tfmv1beta1.ProviderConfig{}
		if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: ws.Namespace, Name: ref.Name}, pc); err != nil {
			return aws.Credentials{}, fmt.Errorf("reading ProviderConfig %s/%s: %w", ws.Namespace, ref.Name, err)
		}
		return r.secretCredentials(ctx, pc.Spec, "ProviderConfig "+ws.Namespace+"/"+ref.Name)
	}
	pc := &tfmv1beta1.ClusterProviderConfig{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Name: ref.Name}, pc); err != nil {
		return aws.Credentials{}, fmt.Errorf("reading ClusterProviderConfig %s: %w", ref.Name, err)
	}
	return r.secretCredentials(ctx, pc.Spec, "ClusterProviderConfig "+ref.Name)
}

// secretCredentials reads the first of a provider configuration's
// credentials kept in a Secret; via names the configuration.
func (r *Reconciler) secretCredentials(ctx context.Context, spec tfv1beta1.ProviderConfigSpec, via string) (aws.Credentials, error) {
	for _, c := range spec.Credentials {
		if c.Source != tfv1beta1.CredentialsSourceSecret || c.SecretRef == nil {
			continue
		}
		return r.readCredentials(ctx, *c.SecretRef, via)
	}
	return aws.Credentials{}, fmt.Errorf("%s has no credentials kept in a Secret", via)
}

// readCredentials reads an AWS ini from a Secret key; via says who named it.
func (r *Reconciler) readCredentials(ctx context.Context, ref tfv1beta1.KeyReference, via string) (aws.Credentials, error) {
	source := fmt.Sprintf("Secret %s/%s key %s (%s)", ref.Namespace, ref.Name, ref.Key, via)
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, secret); err != nil {
		return aws.Credentials{}, fmt.Errorf("reading %s: %w", source, err)
	}
	creds, err := ekstoken.ParseCredentials(secret.Data[ref.Key], "")
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("%s: %w", source, err)
	}
	return creds, nil
}
