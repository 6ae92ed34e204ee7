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
	"github.com/capt-controlplane/capt-controlplane/internal/grants"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

// defaultCredentialsKey is the key of a credentialsSecretRef without one.
const defaultCredentialsKey = "credentials"

// credentials reads the AWS credentials of spec.credentialsSecretRef when
// set (a Secret of the control plane's namespace), else those
// provider-terraform uses for the control plane's Workspace (the
// template's, while there is none): the first of its provider
// configuration's credentials kept in a Secret, parsed as an AWS ini. A
// cluster-scoped configuration is used only where a grant allows the
// control plane's namespace (a *grants.NotGrantedError otherwise). The
// configuration and the Secret are read by name from the API server. The
// error names the object and the reason.
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
	runsWith := ws
	if ws == nil {
		tmpl := &infrastructurev1beta1.WorkspaceTemplate{}
		key := types.NamespacedName{Namespace: cp.Spec.WorkspaceTemplateRef.Namespace, Name: cp.Spec.WorkspaceTemplateRef.Name}
		if key.Namespace == "" {
			key.Namespace = cp.Namespace
		}
		if err := r.Client.Get(ctx, key, tmpl); err != nil {
			return aws.Credentials{}, fmt.Errorf("reading WorkspaceTemplate %s for its ProviderConfig: %w", key, err)
		}
		runsWith = &tfv1beta1.Workspace{Spec: tmpl.Spec.Template.Spec}
	}
	cfg, clusterScoped := grants.ConfigOf(runsWith)
	if !clusterScoped {
		// The namespaced Workspace's own namespace's ProviderConfig, whose
		// credentials Secrets are read in that namespace whatever their
		// secretRef says: provider-terraform v1 resolves them so, and the
		// token must be signed with what Terraform runs with.
		key := types.NamespacedName{Namespace: runsWith.GetNamespace(), Name: runsWith.(*tfmv1beta1.Workspace).Spec.ProviderConfigReference.Name}
		pc := &tfmv1beta1.ProviderConfig{}
		if err := r.APIReader.Get(ctx, key, pc); err != nil {
			return aws.Credentials{}, fmt.Errorf("reading ProviderConfig %s: %w", key, err)
		}
		return r.secretCredentials(ctx, localSecrets(pc.Spec, key.Namespace), "ProviderConfig "+key.String())
	}
	view, err := grants.Read(ctx, r.Client, cp.Namespace, r.GrantsInstalled, nil)
	if err != nil {
		return aws.Credentials{}, err
	}
	if err := view.Allows(cfg, ws); err != nil {
		return aws.Credentials{}, err
	}
	var spec tfv1beta1.ProviderConfigSpec
	if cfg.Kind == infrastructurev1beta1.GrantedClusterProviderConfigKind {
		pc := &tfmv1beta1.ClusterProviderConfig{}
		err = r.APIReader.Get(ctx, types.NamespacedName{Name: cfg.Name}, pc)
		spec = pc.Spec
	} else {
		pc := &tfv1beta1.ProviderConfig{}
		err = r.APIReader.Get(ctx, types.NamespacedName{Name: cfg.Name}, pc)
		spec = pc.Spec
	}
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("reading %s: %w", cfg, err)
	}
	return r.secretCredentials(ctx, spec, cfg.String())
}

// localSecrets is spec with every credentials Secret reference moved into
// namespace, as provider-terraform v1 reads a namespaced ProviderConfig's.
func localSecrets(spec tfv1beta1.ProviderConfigSpec, namespace string) tfv1beta1.ProviderConfigSpec {
	local := *spec.DeepCopy()
	for i := range local.Credentials {
		if ref := local.Credentials[i].SecretRef; ref != nil {
			ref.Namespace = namespace
		}
	}
	return local
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
