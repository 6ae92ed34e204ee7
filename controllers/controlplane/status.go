package controlplane

import (
	"context"
	"time"

	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeversion"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// defaultControlPlaneTimeout applies when spec.controlPlaneConfig.timeouts
// is not set (the CRD default, in minutes).
const defaultControlPlaneTimeout = 30

// statusPlan is the desired status and what the reconcile learned computing it.
type statusPlan struct {
	apply *cpac.CAPTControlPlaneStatusApplyConfiguration
	// endpoint is the one to record: spec.controlPlaneEndpoint once set
	// (Cluster API copies it and treats it as fixed), else cluster_endpoint;
	// nil when neither is known.
	endpoint    *controlplanev1beta1.APIEndpoint
	endpointErr error
	// endpointChanged says how cluster_endpoint differs from the recorded
	// endpoint; empty when it does not.
	endpointChanged string
	requeue         time.Duration // when the creation timeout falls due, before initialization
	// version is the Kubernetes version the apply passes to Terraform
	// (renderedVersion).
	version string
}

// desiredStatus computes every status field capt-controlplane owns, from
// scratch: never workspaceStatus. It reads the facts once (factsOf), then
// each condition from them (conditions.go) and the phase from those; cp's
// live conditions only keep the lastTransitionTime of a condition whose
// status did not change.
func desiredStatus(cp *controlplanev1beta1.CAPTControlPlane, obs observed, now time.Time) statusPlan {
	f := factsOf(cp, obs, now)
	plan := statusPlan{endpoint: f.endpoint, endpointErr: f.endpointErr, endpointChanged: f.endpointChanged, version: renderedVersion(f, cp)}
	if !f.initialized && !f.timedOut {
		// Only the creation deadline needs a clock; after initialization
		// the Workspace's watch brings every change.
		plan.requeue = max(f.deadline.Sub(now), time.Second)
	}

	ready := readyCondition(f)
	phase := phaseOf(f)
	gen, live := cp.Generation, cp.Status.Conditions
	conditions := []*metav1ac.ConditionApplyConfiguration{
		ready.apply(controlplanev1beta1.ConditionReady, gen, live, now),
		availableCondition(f, ready).apply(controlplanev1beta1.ConditionAvailable, gen, live, now),
		initializedCondition(f).apply(controlplanev1beta1.ConditionInitialized, gen, live, now),
		creatingCondition(phase).apply(controlplanev1beta1.ConditionCreating, gen, live, now),
		failedCondition(f, phase, ready).apply(controlplanev1beta1.ConditionFailed, gen, live, now),
		pausedCondition(f).apply(controlplanev1beta1.ConditionPaused, gen, live, now),
		endpointChangedCondition(f).apply(controlplanev1beta1.ConditionEndpointChanged, gen, live, now),
		rollingOutCondition(f, cp).apply(controlplanev1beta1.ConditionRollingOut, gen, live, now),
	}
	if c, ok := clusterAPICompatibleCondition(obs.clusterAPI); ok {
		conditions = append(conditions, c.apply(controlplanev1beta1.ConditionClusterAPICompatible, gen, live, now))
	}

	status := cpac.CAPTControlPlaneStatus().
		WithReady(f.ready).
		WithInitialized(f.initialized).
		WithInitialization(cpac.Initialization().WithControlPlaneInitialized(f.initialized)).
		WithExternalManagedControlPlane(true).
		WithPhase(phase).
		WithObservedGeneration(gen).
		WithConditions(conditions...)
	withVersions(status, f)
	if f.timedOut {
		status.WithFailureReason(controlplanev1beta1.ReasonControlPlaneTimeout).WithFailureMessage(ready.message)
	}
	if wts := workspaceTemplateStatusOf(cp, obs, f); wts != nil {
		status.WithWorkspaceTemplateStatus(wts)
	}
	plan.apply = status
	return plan
}

// withVersions sets the versions Cluster API copies: the version EKS runs
// as Terraform last applied it (versions.go), unchanged while an upgrade is
// in progress.
func withVersions(status *cpac.CAPTControlPlaneStatusApplyConfiguration, f facts) {
	if f.reportedVersion == "" {
		return
	}
	status.WithVersion(f.reportedVersion)
	// Only the version: an EKS control plane reports no replicas, and a
	// zero the Go type omits would never compare equal.
	status.WithVersions(cpac.StatusVersion().WithVersion(kubeversion.Semantic(f.reportedVersion)))
}

// workspaceTemplateStatusOf is status.workspaceTemplateStatus: the
// Workspace's readiness and state, when it was last rendered and the last
// input or Terraform error; nil before there is an apply or a Workspace.
func workspaceTemplateStatusOf(cp *controlplanev1beta1.CAPTControlPlane, obs observed, f facts) *cpac.WorkspaceTemplateStatusApplyConfiguration {
	if obs.apply == nil && obs.workspace == nil {
		return nil
	}
	wts := cpac.WorkspaceTemplateStatus().WithReady(f.workspaceReady).WithWorkspaceName(ownership.WorkspaceName(cp, obs.apply))
	if f.wsReady != nil {
		wts.WithState(f.wsReady.Reason)
	}
	if obs.apply != nil && obs.apply.Status.LastAppliedTime != nil {
		// When the Workspace was last rendered, spelled as upstream CAPT
		// spelled it, so that an upgrade keeps the value.
		wts.WithLastAppliedRevision(obs.apply.Status.LastAppliedTime.String())
	}
	switch {
	case f.applySynced != nil:
		wts.WithLastFailureMessage(f.applySynced.Message)
	case f.workspaceFailed():
		wts.WithLastFailureMessage(f.wsSynced.Message)
	}
	return wts
}

// refusedInput reports whether an apply's Synced reason is an input error
// that only a change of the inputs repairs (not a wait).
func refusedInput(reason string) bool {
	switch reason {
	case infrastructurev1beta1.ReasonTemplateNotFound, infrastructurev1beta1.ReasonTemplateNotShared, infrastructurev1beta1.ReasonRenderFailed, infrastructurev1beta1.ReasonFieldNotServed,
		infrastructurev1beta1.ReasonWorkspaceNameConflict, infrastructurev1beta1.ReasonProviderConfigNotGranted,
		infrastructurev1beta1.ReasonWorkspaceMissing, infrastructurev1beta1.ReasonClusterScopeNotAllowed, infrastructurev1beta1.ReasonWorkspaceKindNotServed:
		return true
	}
	return false
}

// applyStatus sends the status when it differs from what FieldManager owns.
func (r *Reconciler) applyStatus(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, status *cpac.CAPTControlPlaneStatusApplyConfiguration) (bool, error) {
	return ssa.ApplyStatusOf(ctx, r.Client, FieldManager, "control plane", cp,
		cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(status), cpac.ExtractCAPTControlPlaneStatus)
}
