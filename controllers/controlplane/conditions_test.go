package controlplane

import (
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
)

var endpointA = &controlplanev1beta1.APIEndpoint{Host: "a.example.com", Port: 443}

func TestFactsOf(t *testing.T) {
	now := time.Now()
	created := metav1.NewTime(now.Add(-time.Minute))
	for _, tc := range []struct {
		name    string
		edit    func(*controlplanev1beta1.CAPTControlPlane, *observed)
		check   func(facts) bool
		explain string
	}{
		{"no Workspace: nothing ready, not timed out", func(*controlplanev1beta1.CAPTControlPlane, *observed) {},
			func(f facts) bool { return !f.ready && !f.initialized && !f.timedOut && f.endpoint == nil }, "nothing known"},
		{"ready Workspace with an endpoint", func(_ *controlplanev1beta1.CAPTControlPlane, o *observed) {
			o.workspace = workspace(true, "Available", "https://a.example.com")
		}, func(f facts) bool { return f.ready && f.initialized && *f.endpoint == *endpointA }, "ready"},
		{"ready Workspace without an endpoint", func(_ *controlplanev1beta1.CAPTControlPlane, o *observed) {
			o.workspace = workspace(true, "Available", "")
		}, func(f facts) bool { return f.workspaceReady && !f.ready }, "workspace ready, control plane not"},
		{"a bad endpoint is an error, not a value", func(_ *controlplanev1beta1.CAPTControlPlane, o *observed) {
			o.workspace = workspace(true, "Available", "https://")
		}, func(f facts) bool { return f.endpointErr != nil && f.endpoint == nil && !f.ready }, "endpoint error"},
		{"initialized stays", func(cp *controlplanev1beta1.CAPTControlPlane, o *observed) {
			cp.Status.Initialized = true
			o.workspace = workspace(false, "Unavailable", "")
		}, func(f facts) bool { return f.initialized && !f.ready && !f.timedOut }, "initialized, not ready"},
		{"past the deadline before initialization", func(cp *controlplanev1beta1.CAPTControlPlane, _ *observed) {
			cp.CreationTimestamp = metav1.NewTime(now.Add(-31 * time.Minute))
		}, func(f facts) bool { return f.timedOut && f.timeoutMinutes == defaultControlPlaneTimeout }, "timed out"},
		{"the spec's timeout", func(cp *controlplanev1beta1.CAPTControlPlane, _ *observed) {
			cp.Spec.ControlPlaneConfig = &controlplanev1beta1.ControlPlaneConfig{Timeouts: &controlplanev1beta1.Timeouts{ControlPlaneTimeout: 60}}
			cp.CreationTimestamp = metav1.NewTime(now.Add(-31 * time.Minute))
		}, func(f facts) bool { return !f.timedOut && f.timeoutMinutes == 60 }, "not timed out at 31 of 60 minutes"},
		{"a recorded endpoint is kept and a move reported", func(cp *controlplanev1beta1.CAPTControlPlane, o *observed) {
			cp.Spec.ControlPlaneEndpoint = *endpointA
			o.workspace = workspace(true, "Available", "https://b.example.com")
		}, func(f facts) bool { return *f.endpoint == *endpointA && f.endpointChanged != "" }, "kept, changed"},
		{"an input error of the apply", func(_ *controlplanev1beta1.CAPTControlPlane, o *observed) {
			o.apply = &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: infrastructurev1beta1.WorkspaceTemplateApplyStatus{
				Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: infrastructurev1beta1.ReasonTemplateNotFound}},
			}}
		}, func(f facts) bool { return f.applySynced != nil && f.applyName == "a" }, "applySynced set"},
		{"a wait of the apply is no input error", func(_ *controlplanev1beta1.CAPTControlPlane, o *observed) {
			o.apply = &infrastructurev1beta1.WorkspaceTemplateApply{Status: infrastructurev1beta1.WorkspaceTemplateApplyStatus{
				Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: "WaitingForSecrets"}},
			}}
		}, func(f facts) bool { return f.applySynced == nil }, "applySynced nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cp := &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{CreationTimestamp: created}}
			obs := observed{}
			tc.edit(cp, &obs)
			if f := factsOf(cp, obs, now); !tc.check(f) {
				t.Fatalf("want %s, got %+v", tc.explain, f)
			}
		})
	}
}

func TestPhaseOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    facts
		want controlplanev1beta1.Phase
	}{
		{"nothing yet", facts{}, controlplanev1beta1.PhaseCreating},
		{"ready", facts{ready: true, initialized: true}, controlplanev1beta1.PhaseReady},
		{"timed out", facts{timedOut: true}, controlplanev1beta1.PhaseFailed},
		{"was ready", facts{initialized: true}, controlplanev1beta1.PhaseDegraded},
		{"waiting for the Cluster", facts{waitingForCluster: true, ready: true}, controlplanev1beta1.PhaseCreating},
		{"waiting for the Cluster, once initialized", facts{waitingForCluster: true, initialized: true}, controlplanev1beta1.PhaseDegraded},
	} {
		if got := phaseOf(tc.f); got != tc.want {
			t.Errorf("%s: phase %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestReadyCondition(t *testing.T) {
	synced := func(reason, message string) *tfv1beta1.Condition {
		return &tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionFalse, Reason: reason, Message: message}
	}
	for _, tc := range []struct {
		name string
		f    facts
		want condition
	}{
		{"creating", facts{}, condition{reason: controlplanev1beta1.ReasonCreating, message: "waiting for the Terraform workspace"}},
		{"ready", facts{ready: true, initialized: true}, condition{isTrue: true, reason: controlplanev1beta1.ReasonReady, message: "the EKS control plane is ready"}},
		{"ready, a change refused", facts{ready: true, initialized: true, applyName: "a", applySynced: synced(infrastructurev1beta1.ReasonProviderConfigNotGranted, "not granted")},
			condition{isTrue: true, reason: controlplanev1beta1.ReasonReady, message: "the EKS control plane is ready; changes are not applied: WorkspaceTemplateApply a: not granted (ProviderConfigNotGranted)"}},
		{"degraded, with the Workspace's reason", facts{initialized: true, wsReady: &tfv1beta1.Condition{Reason: "Unavailable"}},
			condition{reason: controlplanev1beta1.ReasonWorkspaceNotReady, message: "the Terraform workspace is no longer ready (Unavailable)"}},
		{"waiting for the Cluster comes first", facts{waitingForCluster: true, timedOut: true},
			condition{reason: controlplanev1beta1.ReasonWaitingForCluster, message: "waiting for Cluster API to set the owner Cluster: the Terraform cluster name comes from it"}},
		{"timed out", facts{timedOut: true, timeoutMinutes: 30, endpointErr: errors.New("bad")},
			condition{reason: controlplanev1beta1.ReasonControlPlaneTimeout, message: "the control plane was not ready within 30 minutes"}},
		{"a bad endpoint", facts{endpointErr: errors.New("bad endpoint"), applySynced: synced(infrastructurev1beta1.ReasonRenderFailed, "x")},
			condition{reason: controlplanev1beta1.ReasonEndpointUpdateFailed, message: "bad endpoint"}},
		{"an input error names the apply", facts{applyName: "a", applySynced: synced(infrastructurev1beta1.ReasonRenderFailed, "unknown ${x}"), wsSynced: synced("ReconcileError", "y")},
			condition{reason: infrastructurev1beta1.ReasonRenderFailed, message: "WorkspaceTemplateApply a: unknown ${x}"}},
		{"a Terraform error", facts{wsSynced: synced("ReconcileError", "apply failed")},
			condition{reason: controlplanev1beta1.ReasonWorkspaceError, message: "apply failed"}},
		{"ready Workspace, no endpoint output", facts{workspaceReady: true},
			condition{reason: controlplanev1beta1.ReasonCreating, message: "the workspace is ready but has no cluster_endpoint output yet"}},
	} {
		if got := readyCondition(tc.f); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestAvailableCondition(t *testing.T) {
	notReady := condition{reason: controlplanev1beta1.ReasonWorkspaceNotReady, message: "m"}
	if got := availableCondition(facts{}, notReady); got != notReady {
		t.Errorf("not ready: %+v, want Ready's reason and message", got)
	}
	if got := availableCondition(facts{ready: true}, condition{isTrue: true, reason: controlplanev1beta1.ReasonReady, message: "m"}); got != (condition{isTrue: true, reason: controlplanev1beta1.ReasonAvailable}) {
		t.Errorf("ready: %+v", got)
	}
}

func TestInitializedCreatingFailedPausedConditions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want condition
	}{
		{"initialized", initializedCondition(facts{initialized: true}), condition{isTrue: true, reason: controlplanev1beta1.ReasonReady}},
		{"not initialized", initializedCondition(facts{}), condition{reason: controlplanev1beta1.ReasonCreating}},
		{"creating", creatingCondition(controlplanev1beta1.PhaseCreating), condition{isTrue: true, reason: controlplanev1beta1.ReasonCreating}},
		{"not creating names the phase", creatingCondition(controlplanev1beta1.PhaseDegraded), condition{reason: string(controlplanev1beta1.PhaseDegraded)}},
		{"failed", failedCondition(facts{timedOut: true}, controlplanev1beta1.PhaseFailed, condition{message: "late"}),
			condition{isTrue: true, reason: controlplanev1beta1.ReasonControlPlaneTimeout, message: "late"}},
		{"not failed names the phase", failedCondition(facts{}, controlplanev1beta1.PhaseReady, condition{message: "ok"}), condition{reason: string(controlplanev1beta1.PhaseReady)}},
		{"paused", pausedCondition(facts{pausedBy: "Cluster ns/c has spec.paused"}), condition{isTrue: true, reason: controlplanev1beta1.ReasonPaused, message: "Cluster ns/c has spec.paused"}},
		{"not paused", pausedCondition(facts{}), condition{reason: controlplanev1beta1.ReasonNotPaused}},
		{"endpoint moved", endpointChangedCondition(facts{endpointChanged: "moved"}), condition{isTrue: true, reason: controlplanev1beta1.ReasonEndpointChanged, message: "moved"}},
		{"endpoint kept", endpointChangedCondition(facts{}), condition{reason: controlplanev1beta1.ReasonEndpointUnchanged}},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
}

func TestClusterAPICompatibleCondition(t *testing.T) {
	if _, ok := clusterAPICompatibleCondition(clusterapi.Support{}); ok {
		t.Error("a condition without Cluster API")
	}
	if c, ok := clusterAPICompatibleCondition(clusterapi.Support{Installed: true, Served: true}); !ok || c != (condition{isTrue: true, reason: controlplanev1beta1.ReasonClusterAPIServed}) {
		t.Errorf("served: %+v", c)
	}
	old := clusterapi.Support{Installed: true}
	if c, ok := clusterAPICompatibleCondition(old); !ok || c.isTrue || c.reason != controlplanev1beta1.ReasonClusterAPIUnsupported || c.message != old.Message() {
		t.Errorf("unsupported: %+v", c)
	}
}
