package controlplane

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/ssa"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
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
}

// desiredStatus computes every status field capt-controlplane owns, from
// scratch: never workspaceStatus. cp's live conditions only keep the
// lastTransitionTime of a condition whose status did not change.
func desiredStatus(cp *controlplanev1beta1.CAPTControlPlane, obs observed, now time.Time) statusPlan {
	var plan statusPlan
	ws := obs.workspace
	var wsReady, wsSynced *tfv1beta1.Condition
	if ws != nil {
		wsReady = tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeReady)
		wsSynced = tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeSynced)
		s, ok, err := tfv1beta1.ObservationOf(ws.Observed().AtProvider).StringOutput(kubeconfigs.OutputEndpoint)
		switch {
		case err != nil:
			plan.endpointErr = err
		case ok:
			if ep, err := parseEndpoint(s); err != nil {
				plan.endpointErr = err
			} else {
				plan.endpoint = &ep
			}
		}
	}
	// Once recorded, the endpoint is kept: Cluster API copied it and treats
	// it as fixed.
	if recorded := cp.Spec.ControlPlaneEndpoint; recorded.Host != "" && plan.endpoint != nil {
		if !sameEndpoint(recorded, *plan.endpoint) {
			plan.endpointChanged = fmt.Sprintf("the Terraform output cluster_endpoint moved to %s:%d; spec.controlPlaneEndpoint keeps %s:%d, which Cluster API treats as fixed",
				plan.endpoint.Host, plan.endpoint.Port, recorded.Host, recorded.Port)
		}
		plan.endpoint = &recorded
	}
	// The apply's Synced=False names input errors found before any
	// Workspace exists: a missing template, an unknown variable, a name
	// taken by another apply.
	var applySynced *tfv1beta1.Condition
	if obs.apply != nil {
		if c := tfv1beta1.FindCondition(obs.apply.Status.Conditions, tfv1beta1.TypeSynced); c != nil && c.Status == metav1.ConditionFalse && refusedInput(c.Reason) {
			applySynced = c
		}
	}
	workspaceReady := wsReady != nil && wsReady.Status == metav1.ConditionTrue
	ready := workspaceReady && plan.endpoint != nil
	initialized := ready || cp.Status.Initialized

	timeout := defaultControlPlaneTimeout
	if c := cp.Spec.ControlPlaneConfig; c != nil && c.Timeouts != nil && c.Timeouts.ControlPlaneTimeout > 0 {
		timeout = c.Timeouts.ControlPlaneTimeout
	}
	deadline := cp.CreationTimestamp.Add(time.Duration(timeout) * time.Minute)
	timedOut := !initialized && !now.Before(deadline)
	if !initialized && !timedOut {
		// Only the creation deadline needs a clock; after initialization
		// the Workspace's watch brings every change.
		plan.requeue = max(deadline.Sub(now), time.Second)
	}

	phase := controlplanev1beta1.PhaseCreating
	readyReason, readyMessage := controlplanev1beta1.ReasonCreating, "waiting for the Terraform workspace"
	if initialized {
		// Was ready, is not now: degraded, not creating.
		phase, readyReason, readyMessage = controlplanev1beta1.PhaseDegraded, controlplanev1beta1.ReasonWorkspaceNotReady, "the Terraform workspace is no longer ready"
		if wsReady != nil && wsReady.Reason != "" {
			readyMessage += " (" + wsReady.Reason + ")"
		}
	}
	switch {
	case obs.waitingForCluster:
		readyReason, readyMessage = controlplanev1beta1.ReasonWaitingForCluster, "waiting for Cluster API to set the owner Cluster: the Terraform cluster name comes from it"
	case ready:
		phase, readyReason, readyMessage = controlplanev1beta1.PhaseReady, controlplanev1beta1.ReasonReady, "the EKS control plane is ready"
	case timedOut:
		phase, readyReason = controlplanev1beta1.PhaseFailed, controlplanev1beta1.ReasonControlPlaneTimeout
		readyMessage = fmt.Sprintf("the control plane was not ready within %d minutes", timeout)
	case plan.endpointErr != nil:
		readyReason, readyMessage = controlplanev1beta1.ReasonEndpointUpdateFailed, plan.endpointErr.Error()
	case applySynced != nil:
		readyReason, readyMessage = applySynced.Reason, fmt.Sprintf("WorkspaceTemplateApply %s: %s", obs.apply.Name, applySynced.Message)
	case wsSynced != nil && wsSynced.Status == metav1.ConditionFalse:
		readyReason, readyMessage = controlplanev1beta1.ReasonWorkspaceError, wsSynced.Message
	case workspaceReady:
		readyMessage = "the workspace is ready but has no cluster_endpoint output yet"
	}

	gen := cp.Generation
	live := cp.Status.Conditions
	conditions := []*metav1ac.ConditionApplyConfiguration{
		ssa.Condition(controlplanev1beta1.ConditionReady, ready, readyReason, readyMessage, gen, live, now),
		ssa.Condition(controlplanev1beta1.ConditionAvailable, ready, pick(ready, controlplanev1beta1.ReasonAvailable, readyReason), pick(ready, "", readyMessage), gen, live, now),
		ssa.Condition(controlplanev1beta1.ConditionInitialized, initialized, pick(initialized, controlplanev1beta1.ReasonReady, controlplanev1beta1.ReasonCreating), "", gen, live, now),
		ssa.Condition(controlplanev1beta1.ConditionCreating, phase == controlplanev1beta1.PhaseCreating, pick(phase == controlplanev1beta1.PhaseCreating, controlplanev1beta1.ReasonCreating, string(phase)), "", gen, live, now),
		ssa.Condition(controlplanev1beta1.ConditionFailed, timedOut, pick(timedOut, controlplanev1beta1.ReasonControlPlaneTimeout, string(phase)), pick(timedOut, readyMessage, ""), gen, live, now),
		ssa.Condition(controlplanev1beta1.ConditionPaused, obs.paused, pick(obs.paused, controlplanev1beta1.ReasonPaused, controlplanev1beta1.ReasonNotPaused), "", gen, live, now),
		ssa.Condition(controlplanev1beta1.ConditionEndpointChanged, plan.endpointChanged != "",
			pick(plan.endpointChanged != "", controlplanev1beta1.ReasonEndpointChanged, controlplanev1beta1.ReasonEndpointUnchanged), plan.endpointChanged, gen, live, now),
	}
	if capi := obs.clusterAPI; capi.Installed {
		conditions = append(conditions, ssa.Condition(controlplanev1beta1.ConditionClusterAPICompatible, capi.Served,
			pick(capi.Served, controlplanev1beta1.ReasonClusterAPIServed, controlplanev1beta1.ReasonClusterAPIUnsupported),
			pick(capi.Served, "", capi.Message()), gen, live, now))
	}

	status := cpac.CAPTControlPlaneStatus().
		WithReady(ready).
		WithInitialized(initialized).
		WithInitialization(cpac.Initialization().WithControlPlaneInitialized(initialized)).
		WithExternalManagedControlPlane(true).
		WithPhase(phase).
		WithObservedGeneration(gen).
		WithConditions(conditions...)
	switch {
	case ready:
		status.WithVersion(cp.Spec.Version)
		if v := semanticVersion(cp.Spec.Version); v != "" {
			status.WithVersions(cpac.StatusVersion().WithVersion(v))
		}
	case initialized:
		// Degraded: it still runs the version it reported.
		if cp.Status.Version != "" {
			status.WithVersion(cp.Status.Version)
		}
		for _, v := range cp.Status.Versions {
			// Only the version: an EKS control plane reports no replicas, and
			// a zero the Go type omits would never compare equal.
			status.WithVersions(cpac.StatusVersion().WithVersion(v.Version))
		}
	}
	if timedOut {
		status.WithFailureReason(controlplanev1beta1.ReasonControlPlaneTimeout).WithFailureMessage(readyMessage)
	}
	if obs.apply != nil || ws != nil {
		wts := cpac.WorkspaceTemplateStatus().WithReady(workspaceReady).WithWorkspaceName(ownership.WorkspaceName(cp, obs.apply))
		if wsReady != nil {
			wts.WithState(wsReady.Reason)
		}
		if obs.apply != nil && obs.apply.Status.LastAppliedTime != nil {
			// When the Workspace was last rendered, spelled as upstream CAPT
			// spelled it, so that an upgrade keeps the value.
			wts.WithLastAppliedRevision(obs.apply.Status.LastAppliedTime.String())
		}
		switch {
		case applySynced != nil:
			wts.WithLastFailureMessage(applySynced.Message)
		case wsSynced != nil && wsSynced.Status == metav1.ConditionFalse:
			wts.WithLastFailureMessage(wsSynced.Message)
		}
		status.WithWorkspaceTemplateStatus(wts)
	}
	plan.apply = status
	return plan
}

// semanticVersion spells a Kubernetes version as Cluster API's contract
// asks: "1.31" (as CAPT's samples write it) is "v1.31.0"; "" stays "".
func semanticVersion(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if v == "" {
		return ""
	}
	core, suffix := v, ""
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		core, suffix = v[:i], v[i:]
	}
	parts := strings.Split(core, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return "v" + strings.Join(parts, ".") + suffix
}

// refusedInput reports whether an apply's Synced reason is an input error
// that only a change of the inputs repairs (not a wait).
func refusedInput(reason string) bool {
	switch reason {
	case infrastructurev1beta1.ReasonTemplateNotFound, infrastructurev1beta1.ReasonRenderFailed, infrastructurev1beta1.ReasonFieldNotServed,
		infrastructurev1beta1.ReasonWorkspaceNameConflict:
		return true
	}
	return false
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// applyStatus sends the status when it differs from what FieldManager owns.
func (r *Reconciler) applyStatus(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, status *cpac.CAPTControlPlaneStatusApplyConfiguration) (bool, error) {
	return ssa.ApplyStatusOf(ctx, r.Client, FieldManager, "control plane", cp,
		cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(status), cpac.ExtractCAPTControlPlaneStatus)
}
