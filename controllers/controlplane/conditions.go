package controlplane

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ssa"
)

// facts are what the status is decided from, read once from the control
// plane and what the reconcile observed.
type facts struct {
	wsReady, wsSynced *tfv1beta1.Condition // the Workspace's, nil when none
	// applySynced is the apply's Synced=False for an input error found
	// before any Workspace exists (a missing template, an unknown variable,
	// a name taken); applyName names the apply in messages.
	applySynced *tfv1beta1.Condition
	applyName   string

	// endpoint is the one to record (see statusPlan.endpoint).
	endpoint        *controlplanev1beta1.APIEndpoint
	endpointErr     error
	endpointChanged string

	workspaceReady    bool
	ready             bool // the Workspace is ready and the endpoint known
	initialized       bool // ready now or once
	timeoutMinutes    int
	deadline          time.Time
	timedOut          bool // not initialized by the deadline
	waitingForCluster bool
	pausedBy          string // "" when not paused

	// reportedVersion is status.version (versions.go); versionRefused why
	// spec.version is not rendered, "" when it is.
	reportedVersion string
	versionRefused  string
}

func (f facts) workspaceFailed() bool {
	return f.wsSynced != nil && f.wsSynced.Status == metav1.ConditionFalse
}

// factsOf reads the facts.
func factsOf(cp *controlplanev1beta1.CAPTControlPlane, obs observed, now time.Time) facts {
	f := facts{waitingForCluster: obs.waitingForCluster, pausedBy: obs.pausedBy, timeoutMinutes: defaultControlPlaneTimeout}
	if ws := obs.workspace; ws != nil {
		f.wsReady = tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeReady)
		f.wsSynced = tfv1beta1.FindCondition(ws.Observed().Conditions, tfv1beta1.TypeSynced)
		s, ok, err := tfv1beta1.ObservationOf(ws.Observed().AtProvider).StringOutput(kubeconfigs.OutputEndpoint)
		switch {
		case err != nil:
			f.endpointErr = err
		case ok:
			if ep, err := parseEndpoint(s); err != nil {
				f.endpointErr = err
			} else {
				f.endpoint = &ep
			}
		}
	}
	// Once recorded, the endpoint is kept: Cluster API copied it and treats
	// it as fixed.
	if recorded := cp.Spec.ControlPlaneEndpoint; recorded.Host != "" && f.endpoint != nil {
		if !sameEndpoint(recorded, *f.endpoint) {
			f.endpointChanged = fmt.Sprintf("the Terraform output cluster_endpoint moved to %s:%d; spec.controlPlaneEndpoint keeps %s:%d, which Cluster API treats as fixed",
				f.endpoint.Host, f.endpoint.Port, recorded.Host, recorded.Port)
		}
		f.endpoint = &recorded
	}
	if obs.apply != nil {
		f.applyName = obs.apply.Name
		if c := tfv1beta1.FindCondition(obs.apply.Status.Conditions, tfv1beta1.TypeSynced); c != nil && c.Status == metav1.ConditionFalse && refusedInput(c.Reason) {
			f.applySynced = c
		}
	}
	f.workspaceReady = f.wsReady != nil && f.wsReady.Status == metav1.ConditionTrue
	f.ready = f.workspaceReady && f.endpoint != nil
	f.initialized = f.ready || cp.Status.Initialized
	if c := cp.Spec.ControlPlaneConfig; c != nil && c.Timeouts != nil && c.Timeouts.ControlPlaneTimeout > 0 {
		f.timeoutMinutes = c.Timeouts.ControlPlaneTimeout
	}
	f.reportedVersion = cp.Status.Version
	if f.ready {
		f.reportedVersion = reportedVersion(cp, appliedVersion(obs))
	}
	if f.reportedVersion != "" {
		f.versionRefused = refusedVersionChange(f.reportedVersion, cp.Spec.Version)
	}
	f.deadline = cp.CreationTimestamp.Add(time.Duration(f.timeoutMinutes) * time.Minute)
	f.timedOut = !f.initialized && !now.Before(f.deadline)
	return f
}

// condition is one status condition before it gets its type, generation
// and transition time.
type condition struct {
	isTrue          bool
	reason, message string
}

func (c condition) apply(conditionType string, generation int64, live []metav1.Condition, now time.Time) *metav1ac.ConditionApplyConfiguration {
	return ssa.Condition(conditionType, c.isTrue, c.reason, c.message, generation, live, now)
}

// phaseOf is status.phase: Ready, Failed when creation timed out, Degraded
// once initialized and not ready now, else Creating. Waiting for the owner
// Cluster is never Ready.
func phaseOf(f facts) controlplanev1beta1.Phase {
	switch {
	case f.waitingForCluster && f.initialized:
		return controlplanev1beta1.PhaseDegraded
	case f.waitingForCluster:
		return controlplanev1beta1.PhaseCreating
	case f.ready:
		return controlplanev1beta1.PhaseReady
	case f.timedOut:
		return controlplanev1beta1.PhaseFailed
	case f.initialized:
		return controlplanev1beta1.PhaseDegraded
	}
	return controlplanev1beta1.PhaseCreating
}

// readyCondition is Ready, whose reason and message say what the control
// plane waits for or what broke, the first that applies.
func readyCondition(f facts) condition {
	c := condition{reason: controlplanev1beta1.ReasonCreating, message: "waiting for the Terraform workspace"}
	if f.initialized {
		// Was ready, is not now: degraded, not creating.
		c.reason, c.message = controlplanev1beta1.ReasonWorkspaceNotReady, "the Terraform workspace is no longer ready"
		if f.wsReady != nil && f.wsReady.Reason != "" {
			c.message += " (" + f.wsReady.Reason + ")"
		}
	}
	switch {
	case f.waitingForCluster:
		c.reason, c.message = controlplanev1beta1.ReasonWaitingForCluster, "waiting for Cluster API to set the owner Cluster: the Terraform cluster name comes from it"
	case f.ready && f.applySynced != nil:
		// Running as rendered before; a refused change is not applied.
		c.reason, c.message = controlplanev1beta1.ReasonReady, fmt.Sprintf("the EKS control plane is ready; changes are not applied: WorkspaceTemplateApply %s: %s (%s)",
			f.applyName, f.applySynced.Message, f.applySynced.Reason)
	case f.ready:
		c.reason, c.message = controlplanev1beta1.ReasonReady, "the EKS control plane is ready"
	case f.timedOut:
		c.reason, c.message = controlplanev1beta1.ReasonControlPlaneTimeout, fmt.Sprintf("the control plane was not ready within %d minutes", f.timeoutMinutes)
	case f.endpointErr != nil:
		c.reason, c.message = controlplanev1beta1.ReasonEndpointUpdateFailed, f.endpointErr.Error()
	case f.applySynced != nil:
		c.reason, c.message = f.applySynced.Reason, fmt.Sprintf("WorkspaceTemplateApply %s: %s", f.applyName, f.applySynced.Message)
	case f.workspaceFailed():
		c.reason, c.message = controlplanev1beta1.ReasonWorkspaceError, f.wsSynced.Message
	case f.workspaceReady:
		c.message = "the workspace is ready but has no cluster_endpoint output yet"
	}
	c.isTrue = f.ready
	return c
}

// availableCondition is Cluster API's Available: Ready's status, with
// Ready's reason and message while it is not.
func availableCondition(f facts, ready condition) condition {
	if f.ready {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonAvailable}
	}
	return condition{reason: ready.reason, message: ready.message}
}

// initializedCondition is true from the first time the control plane was
// ready, for good.
func initializedCondition(f facts) condition {
	if f.initialized {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonReady}
	}
	return condition{reason: controlplanev1beta1.ReasonCreating}
}

// creatingCondition is true in phase Creating; its reason names the phase
// otherwise.
func creatingCondition(phase controlplanev1beta1.Phase) condition {
	if phase == controlplanev1beta1.PhaseCreating {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonCreating}
	}
	return condition{reason: string(phase)}
}

// failedCondition is true when creation timed out, with Ready's message.
func failedCondition(f facts, phase controlplanev1beta1.Phase, ready condition) condition {
	if f.timedOut {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonControlPlaneTimeout, message: ready.message}
	}
	return condition{reason: string(phase)}
}

// pausedCondition is Cluster API's Paused; its message names what pauses.
func pausedCondition(f facts) condition {
	if f.pausedBy != "" {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonPaused, message: f.pausedBy}
	}
	return condition{reason: controlplanev1beta1.ReasonNotPaused}
}

// endpointChangedCondition is true while cluster_endpoint differs from the
// recorded endpoint, saying how.
func endpointChangedCondition(f facts) condition {
	if f.endpointChanged != "" {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonEndpointChanged, message: f.endpointChanged}
	}
	return condition{reason: controlplanev1beta1.ReasonEndpointUnchanged}
}

// clusterAPICompatibleCondition says whether the installed Cluster API is
// one whose pause the manager can see; none (false) without Cluster API.
func clusterAPICompatibleCondition(capi clusterapi.Support) (condition, bool) {
	if !capi.Installed {
		return condition{}, false
	}
	if capi.Served {
		return condition{isTrue: true, reason: controlplanev1beta1.ReasonClusterAPIServed}, true
	}
	return condition{reason: controlplanev1beta1.ReasonClusterAPIUnsupported, message: capi.Message()}, true
}
