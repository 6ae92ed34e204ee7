package controlplane

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// A manager started with --watch-filter caches only applies that carry the
// label: the apply it creates for a labelled control plane must carry it.
func TestDesiredWorkspaceTemplateApplyCarriesTheWatchFilter(t *testing.T) {
	cp := &controlplanev1beta1.CAPTControlPlane{ObjectMeta: metav1.ObjectMeta{Name: "cp", Namespace: "ns"}}
	if labels := desiredWorkspaceTemplateApply(cp, "cp", "1.31").Labels; labels[clusterv1.WatchLabel] != "" {
		t.Fatalf("unlabelled control plane: apply labels %v", labels)
	}
	cp.Labels = map[string]string{clusterv1.WatchLabel: "shard-a"}
	labels := desiredWorkspaceTemplateApply(cp, "cp", "1.31").Labels
	if labels[clusterv1.WatchLabel] != "shard-a" {
		t.Fatalf("apply labels %v, want %s=shard-a", labels, clusterv1.WatchLabel)
	}
	if labels[controlplanev1beta1.LabelControlPlaneName] != "cp" || labels[controlplanev1beta1.LabelControlPlaneNamespace] != "ns" {
		t.Fatalf("apply labels %v lack the control plane's", labels)
	}
}
