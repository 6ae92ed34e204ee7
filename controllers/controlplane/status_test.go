package controlplane

import (
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
)

func workspace(ready bool, reason, endpoint string) *tfv1beta1.Workspace {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	ws := &tfv1beta1.Workspace{Status: tfv1beta1.WorkspaceStatus{
		Conditions: []tfv1beta1.Condition{{Type: tfv1beta1.TypeReady, Status: status, Reason: reason}},
	}}
	if endpoint != "" {
		raw, _ := json.Marshal(map[string]any{"outputs": map[string]any{kubeconfigs.OutputEndpoint: endpoint}})
		ws.Status.AtProvider = &runtime.RawExtension{Raw: raw}
	}
	return ws
}

func conditionOf(t *testing.T, plan statusPlan, conditionType string) *metav1ac.ConditionApplyConfiguration {
	t.Helper()
	for i := range plan.apply.Conditions {
		if c := &plan.apply.Conditions[i]; *c.Type == conditionType {
			return c
		}
	}
	t.Fatalf("no %s condition", conditionType)
	return nil
}

func versionsOf(plan statusPlan) []string {
	var out []string
	for _, v := range plan.apply.Versions {
		out = append(out, *v.Version)
	}
	return out
}

// applied is what the control plane observes once provider-terraform ran
// terraform apply of ws's current spec, rendered from an apply that passed
// version (its kubernetes_version_full).
func applied(version string, ws *tfv1beta1.Workspace) observed {
	ws.Generation = 2
	ws.Status.Conditions = append(ws.Status.Conditions, tfv1beta1.Condition{Type: tfv1beta1.TypeSynced, Status: metav1.ConditionTrue, ObservedGeneration: 2})
	for i := range ws.Status.Conditions {
		ws.Status.Conditions[i].ObservedGeneration = 2
	}
	apply := &infrastructurev1beta1.WorkspaceTemplateApply{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
	apply.Spec.Variables = map[string]string{variableKubernetesVersionFull: version}
	apply.Status.ObservedGeneration = 3
	return observed{apply: apply, workspace: ws}
}

func TestDesiredStatusPhases(t *testing.T) {
	now := time.Now()
	created := metav1.NewTime(now.Add(-time.Minute))
	newCP := func() *controlplanev1beta1.CAPTControlPlane {
		return &controlplanev1beta1.CAPTControlPlane{
			ObjectMeta: metav1.ObjectMeta{Name: "cp", CreationTimestamp: created},
			Spec:       controlplanev1beta1.CAPTControlPlaneSpec{Version: "1.31"},
		}
	}

	t.Run("creating", func(t *testing.T) {
		plan := desiredStatus(newCP(), observed{workspace: workspace(false, "Creating", "")}, now)
		if *plan.apply.Phase != controlplanev1beta1.PhaseCreating || *conditionOf(t, plan, "Available").Status != metav1.ConditionFalse {
			t.Fatalf("phase %s, Available %s", *plan.apply.Phase, *conditionOf(t, plan, "Available").Status)
		}
		if plan.requeue == 0 || len(plan.apply.Versions) != 0 {
			t.Fatalf("requeue %v (want the creation deadline), versions %v", plan.requeue, versionsOf(plan))
		}
	})

	t.Run("ready: Available and the versions Cluster API copies", func(t *testing.T) {
		plan := desiredStatus(newCP(), applied("v1.31.0", workspace(true, "Available", "https://a.example.com")), now)
		if *plan.apply.Phase != controlplanev1beta1.PhaseReady || *conditionOf(t, plan, "Available").Status != metav1.ConditionTrue {
			t.Fatalf("phase %s, Available %s", *plan.apply.Phase, *conditionOf(t, plan, "Available").Status)
		}
		if got := versionsOf(plan); len(got) != 1 || got[0] != "v1.31.0" || *plan.apply.Version != "1.31" {
			t.Fatalf("versions %v, version %s", got, *plan.apply.Version)
		}
	})

	t.Run("was ready, is not: degraded, not creating", func(t *testing.T) {
		cp := newCP()
		cp.Status.Initialized, cp.Status.Version = true, "1.31"
		cp.Status.Versions = []controlplanev1beta1.StatusVersion{{Version: "v1.31.0"}}
		plan := desiredStatus(cp, observed{workspace: workspace(false, "Unavailable", "https://a.example.com")}, now)
		if *plan.apply.Phase != controlplanev1beta1.PhaseDegraded {
			t.Fatalf("phase %s", *plan.apply.Phase)
		}
		if c := conditionOf(t, plan, "Available"); *c.Status != metav1.ConditionFalse || *c.Reason != controlplanev1beta1.ReasonWorkspaceNotReady {
			t.Fatalf("Available %s/%s", *c.Status, *c.Reason)
		}
		if c := conditionOf(t, plan, "Creating"); *c.Status != metav1.ConditionFalse {
			t.Fatal("Creating is True on a degraded control plane")
		}
		if got := versionsOf(plan); len(got) != 1 || got[0] != "v1.31.0" || *plan.apply.Version != "1.31" {
			t.Fatalf("versions %v, version %v: a degraded control plane still runs its version", got, plan.apply.Version)
		}
		if plan.requeue != 0 {
			t.Fatalf("requeue %v after initialization", plan.requeue)
		}
	})

	t.Run("the endpoint stays once recorded", func(t *testing.T) {
		cp := newCP()
		cp.Spec.ControlPlaneEndpoint = controlplanev1beta1.APIEndpoint{Host: "a.example.com", Port: 443}
		plan := desiredStatus(cp, observed{workspace: workspace(true, "Available", "https://b.example.com:8443")}, now)
		if *plan.endpoint != cp.Spec.ControlPlaneEndpoint {
			t.Fatalf("endpoint %+v, want the recorded %+v", *plan.endpoint, cp.Spec.ControlPlaneEndpoint)
		}
		if c := conditionOf(t, plan, "EndpointChanged"); *c.Status != metav1.ConditionTrue || plan.endpointChanged == "" {
			t.Fatalf("EndpointChanged %s, message %q", *c.Status, plan.endpointChanged)
		}
		same := desiredStatus(cp, observed{workspace: workspace(true, "Available", "https://a.example.com")}, now)
		if c := conditionOf(t, same, "EndpointChanged"); *c.Status != metav1.ConditionFalse || same.endpointChanged != "" {
			t.Fatalf("EndpointChanged %s for the same endpoint", *c.Status)
		}
	})
}
