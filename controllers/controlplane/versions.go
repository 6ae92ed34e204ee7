package controlplane

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeversion"
)

// outputClusterVersion is the Terraform output of the Kubernetes version
// EKS runs (the EKS module's name for it).
const outputClusterVersion = "cluster_version"

// appliedVersion is the Kubernetes version EKS runs, as Terraform last
// applied it; "" while that is not known. From the module's output
// cluster_version when it has one; else the version the control plane's
// apply passed to the Workspace, once the Workspace holds that apply's
// render (the apply's status.observedGeneration) and provider-terraform
// reported Ready and Synced for the Workspace's generation (its
// conditions' observedGeneration: it ran terraform apply on that spec). A
// provider that reports no observedGeneration (v0) is taken at its word
// when Ready.
func appliedVersion(obs observed) string {
	ws, apply := obs.workspace, obs.apply
	if ws == nil {
		return ""
	}
	if v, ok, err := tfv1beta1.ObservationOf(ws.Observed().AtProvider).StringOutput(outputClusterVersion); err == nil && ok && v != "" {
		return v
	}
	if apply == nil || apply.Status.ObservedGeneration != apply.Generation {
		return ""
	}
	ready := tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeReady)
	synced := tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeSynced)
	if ready == nil || ready.Status != metav1.ConditionTrue || synced == nil || synced.Status != metav1.ConditionTrue {
		return ""
	}
	if synced.ObservedGeneration != 0 && synced.ObservedGeneration != ws.GetGeneration() {
		return "" // terraform apply of the current spec has not finished
	}
	return apply.Spec.Variables[variableKubernetesVersionFull]
}

// reportedVersion is status.version: the version EKS runs, spelled as
// spec.version is; the last one reported while the running one is not
// known (an upgrade in progress: Cluster API must not see it done).
func reportedVersion(cp *controlplanev1beta1.CAPTControlPlane, applied string) string {
	switch {
	case applied == "":
		return cp.Status.Version
	case kubeversion.EKS(applied) == kubeversion.EKS(cp.Spec.Version):
		return cp.Spec.Version
	}
	return kubeversion.SpelledAs(applied, cp.Spec.Version)
}

// refusedVersionChange says why spec.version cannot be rendered over the
// version EKS runs, as EKS refuses it: a downgrade, or more than one minor
// version at a time; "" when it can.
func refusedVersionChange(running, wanted string) string {
	rMajor, rMinor, okRunning := kubeversion.Minor(running)
	wMajor, wMinor, okWanted := kubeversion.Minor(wanted)
	switch {
	case !okRunning || !okWanted:
		return ""
	case wMajor < rMajor || wMajor == rMajor && wMinor < rMinor:
		return fmt.Sprintf("spec.version %s is older than the %s EKS runs: EKS cannot downgrade; set it back to %s or newer", wanted, kubeversion.EKS(running), kubeversion.EKS(running))
	case wMajor > rMajor || wMinor > rMinor+1:
		return fmt.Sprintf("spec.version %s skips minor versions: EKS runs %s and upgrades one minor version at a time (%d.%d next)", wanted, kubeversion.EKS(running), rMajor, rMinor+1)
	}
	return ""
}

// renderedVersion is the version the apply passes to Terraform:
// spec.version, unless EKS would refuse the change from the one it runs
// (f.versionRefused); then the one it runs, so that nothing changes.
func renderedVersion(f facts, cp *controlplanev1beta1.CAPTControlPlane) string {
	if f.versionRefused != "" {
		return f.reportedVersion
	}
	return cp.Spec.Version
}

// rollingOutCondition is Cluster API's RollingOut: true while the version
// EKS runs is not yet spec.version's; false with the reason when the change
// is refused.
func rollingOutCondition(f facts, cp *controlplanev1beta1.CAPTControlPlane) condition {
	switch {
	case f.versionRefused != "":
		return condition{reason: controlplanev1beta1.ReasonVersionChangeRefused, message: f.versionRefused}
	case f.reportedVersion != "" && kubeversion.EKS(f.reportedVersion) != kubeversion.EKS(cp.Spec.Version):
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonRollingOut,
			message: fmt.Sprintf("EKS runs %s; Terraform has not applied %s yet", f.reportedVersion, cp.Spec.Version)}
	}
	return condition{reason: controlplanev1beta1.ReasonNotRollingOut}
}
