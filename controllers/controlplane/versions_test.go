package controlplane

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// TestVersionIsWhatTerraformApplied: status.version moves to spec.version
// only once Terraform applied it, and a change EKS would refuse is not
// rendered.
func TestVersionIsWhatTerraformApplied(t *testing.T) {
	now := time.Now()
	upgrading := func() *controlplanev1beta1.CAPTControlPlane {
		cp := &controlplanev1beta1.CAPTControlPlane{Spec: controlplanev1beta1.CAPTControlPlaneSpec{Version: "v1.32.0"}}
		cp.Status.Initialized, cp.Status.Version = true, "v1.31.0"
		return cp
	}
	ready := func() *tfv1beta1.Workspace { return workspace(true, "Available", "https://a.example.com") }
	for _, tc := range []struct {
		name       string
		cp         *controlplanev1beta1.CAPTControlPlane
		obs        func() observed
		version    string // status.version
		rollingOut string // the RollingOut condition's reason
	}{
		{"the apply carries v1.32, Terraform has not run it: v1.31 still", upgrading(), func() observed {
			obs := applied("v1.32.0", ready())
			obs.workspace.(*tfv1beta1.Workspace).Generation = 3 // rendered, not applied
			return obs
		}, "v1.31.0", controlplanev1beta1.ReasonRollingOut},
		{"the apply is not rendered into the Workspace yet: v1.31 still", upgrading(), func() observed {
			obs := applied("v1.32.0", ready())
			obs.apply.Generation = 4
			return obs
		}, "v1.31.0", controlplanev1beta1.ReasonRollingOut},
		{"Terraform applied v1.32: done", upgrading(), func() observed { return applied("v1.32.0", ready()) },
			"v1.32.0", controlplanev1beta1.ReasonNotRollingOut},
		{"the module's cluster_version output says what EKS runs", upgrading(), func() observed {
			ws := ready()
			raw, _ := json.Marshal(map[string]any{"outputs": map[string]any{"cluster_endpoint": "https://a.example.com", "cluster_version": "1.31"}})
			ws.Status.AtProvider = &runtime.RawExtension{Raw: raw}
			return applied("v1.32.0", ws)
		}, "v1.31.0", controlplanev1beta1.ReasonRollingOut},
		{"a downgrade is refused", func() *controlplanev1beta1.CAPTControlPlane {
			cp := upgrading()
			cp.Spec.Version = "v1.30.0"
			return cp
		}(), func() observed { return applied("v1.31.0", ready()) }, "v1.31.0", controlplanev1beta1.ReasonVersionChangeRefused},
		{"a skipped minor is refused", func() *controlplanev1beta1.CAPTControlPlane {
			cp := upgrading()
			cp.Spec.Version = "1.33"
			return cp
		}(), func() observed { return applied("v1.31.0", ready()) }, "1.31", controlplanev1beta1.ReasonVersionChangeRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := desiredStatus(tc.cp, tc.obs(), now)
			if plan.apply.Version == nil || *plan.apply.Version != tc.version {
				t.Errorf("status.version %v, want %s", plan.apply.Version, tc.version)
			}
			if c := conditionOf(t, plan, controlplanev1beta1.ConditionRollingOut); *c.Reason != tc.rollingOut {
				t.Errorf("RollingOut %s (%s), want %s", *c.Reason, *c.Message, tc.rollingOut)
			}
		})
	}
}

func TestRefusedVersionChangeRendersTheRunningVersion(t *testing.T) {
	cp := &controlplanev1beta1.CAPTControlPlane{Spec: controlplanev1beta1.CAPTControlPlaneSpec{Version: "1.33"}}
	cp.Status.Version = "1.31"
	// The version rendered is the status plan's: one decision for both.
	rendered := func() map[string]string {
		return desiredWorkspaceTemplateApply(cp, "c", desiredStatus(cp, observed{}, time.Now()).version).Spec.Variables
	}
	vars := rendered()
	if vars[variableKubernetesVersion] != "1.31" || vars[variableKubernetesVersionFull] != "v1.31.0" {
		t.Fatalf("rendered %v, want the running 1.31", vars)
	}
	cp.Spec.Version = "v1.32.1"
	vars = rendered()
	if vars[variableKubernetesVersion] != "1.32" || vars[variableKubernetesVersionFull] != "v1.32.1" {
		t.Fatalf("rendered %v, want the next minor", vars)
	}
	if msg := refusedVersionChange("1.31", "1.30"); !strings.Contains(msg, "cannot downgrade") {
		t.Errorf("downgrade: %q", msg)
	}
}
