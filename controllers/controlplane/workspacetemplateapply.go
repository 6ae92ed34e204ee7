package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infraac "github.com/capt-controlplane/capt-controlplane/applyconfig/infrastructure/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeversion"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// The template variables a control plane sets besides its config's:
// the EKS cluster's name and its Kubernetes version, as EKS takes it
// ("1.31", the variable upstream CAPT's templates use) and as Cluster API
// spells it ("v1.31.0").
const (
	variableClusterName           = "cluster_name"
	variableKubernetesVersion     = "kubernetes_version"
	variableKubernetesVersionFull = "kubernetes_version_full"
)

// connectionSecretSuffix names the Secret that receives the Terraform
// outputs, as existing CAPT names it.
const connectionSecretSuffix = "-eks-connection"

// applyWorkspaceTemplateApply applies the control plane's
// WorkspaceTemplateApply when it differs from what FieldManager owns, and
// nothing while the Terraform cluster name is not known yet. It reports
// whether it sent the apply.
func (r *Reconciler) applyWorkspaceTemplateApply(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs observed, version string) (bool, error) {
	cluster, ok := r.terraformClusterName(cp, obs)
	if !ok {
		return false, nil
	}
	desired := desiredWorkspaceTemplateApply(cp, cluster, version)
	var owned *infraac.WorkspaceTemplateApplyApplyConfiguration
	if obs.apply != nil {
		var err error
		if owned, err = infraac.ExtractWorkspaceTemplateApply(obs.apply, FieldManager); err != nil {
			return false, err
		}
	}
	sent, err := ssa.ApplyIfChanged(ctx, r.Client, FieldManager, desired, owned)
	if err != nil {
		return false, fmt.Errorf("WorkspaceTemplateApply %s/%s: %w", cp.Namespace, cp.EffectiveWorkspaceTemplateApplyName(), err)
	}
	return sent, nil
}

// terraformClusterName is the cluster_name Terraform creates the EKS
// cluster under: an identity input, never changed once rendered (a new name
// is a new cluster). Before the first render it is the owner Cluster's
// name; where Cluster API is installed the control plane waits for Cluster
// API to set that owner (false), as Cluster API's own control planes do,
// and without Cluster API it is the control plane's own name.
func (r *Reconciler) terraformClusterName(cp *controlplanev1beta1.CAPTControlPlane, obs observed) (string, bool) {
	if obs.apply != nil {
		if rendered := obs.apply.Spec.Variables[variableClusterName]; rendered != "" {
			return rendered, true
		}
	}
	if owner := controlplanev1beta1.OwnerClusterName(cp); owner != "" {
		return owner, true
	}
	return cp.Name, !r.clusterAPI.Installed
}

// desiredWorkspaceTemplateApply is the apply that renders the control
// plane's Workspace, with the variables existing CAPT passes to Terraform.
func desiredWorkspaceTemplateApply(cp *controlplanev1beta1.CAPTControlPlane, cluster, version string) *infraac.WorkspaceTemplateApplyApplyConfiguration {
	tmplNamespace := cp.Spec.WorkspaceTemplateRef.Namespace
	if tmplNamespace == "" {
		tmplNamespace = cp.Namespace
	}
	vars := map[string]string{
		variableClusterName: cluster,
		// EKS takes major.minor; the full form is Cluster API's.
		variableKubernetesVersion:     kubeversion.EKS(version),
		variableKubernetesVersionFull: kubeversion.Semantic(version),
	}
	if c := cp.Spec.ControlPlaneConfig; c != nil {
		vars["region"] = c.Region
		if e := c.EndpointAccess; e != nil {
			vars["endpoint_public_access"] = strconv.FormatBool(e.Public)
			vars["endpoint_private_access"] = strconv.FormatBool(e.Private)
			vars["public_access_cidrs"] = mustJSON(e.PublicCIDRs)
		}
		if len(c.Addons) > 0 {
			vars["addons"] = mustJSON(c.Addons)
		}
	}
	if len(cp.Spec.AdditionalTags) > 0 {
		vars["additional_tags"] = mustJSON(cp.Spec.AdditionalTags)
	}

	labels := map[string]string{
		controlplanev1beta1.LabelControlPlaneNamespace: cp.Namespace,
		controlplanev1beta1.LabelControlPlaneName:      cp.Name,
	}
	// A manager started with --watch-filter caches only labelled applies:
	// without the label it would never see the apply it made.
	if v, ok := cp.Labels[clusterv1.WatchLabel]; ok {
		labels[clusterv1.WatchLabel] = v
	}
	// The apply's controller reads its Cluster's pause from this label,
	// even after the control plane is gone.
	if owner := controlplanev1beta1.OwnerClusterName(cp); owner != "" {
		labels[clusterv1.ClusterNameLabel] = owner
	}
	return infraac.WorkspaceTemplateApply(cp.EffectiveWorkspaceTemplateApplyName(), cp.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ssa.ControllerReference(controlplanev1beta1.GroupVersion.String(), "CAPTControlPlane", cp)).
		WithSpec(infraac.WorkspaceTemplateApplySpec().
			WithTemplateRef(infraac.WorkspaceTemplateReference().WithName(cp.Spec.WorkspaceTemplateRef.Name).WithNamespace(tmplNamespace)).
			WithWriteConnectionSecretToRef(infraac.SecretReference().WithName(cp.Name + connectionSecretSuffix).WithNamespace(cp.Namespace)).
			WithVariables(vars))
}

func mustJSON(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain API types always marshal
	}
	return string(raw)
}
