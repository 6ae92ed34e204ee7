package manager

import (
	"flag"
	"fmt"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
)

func TestLeaderElectionIDFor(t *testing.T) {
	if got := LeaderElectionIDFor(""); got != LeaderElectionID {
		t.Errorf("no watch filter: %q, want the one lease %q", got, LeaderElectionID)
	}
	a, b := LeaderElectionIDFor("Team_A"), LeaderElectionIDFor("team-b")
	if a == b || a == LeaderElectionID || b == LeaderElectionID {
		t.Errorf("shards share a lease: %q, %q", a, b)
	}
	for _, id := range []string{a, b} {
		if errs := validation.IsDNS1123Subdomain(id); len(errs) > 0 {
			t.Errorf("%q is not a lease name: %v", id, errs)
		}
	}
}

// TestWatchFilterSelectsTheOneEntryPerKind: the watch filter is added to
// the cache's one entry per kind; a second entry for the same kind would
// leave the cache to keep either (sharded managers then reconciled each
// other's control planes).
func TestWatchFilterSelectsTheOneEntryPerKind(t *testing.T) {
	opts, err := CacheOptions(Options{WatchFilter: "a"}, AllServed)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for obj, byObject := range opts.ByObject {
		kind := fmt.Sprintf("%T", obj)
		kinds[kind]++
		switch obj.(type) {
		case *controlplanev1beta1.CAPTControlPlane, *infrastructurev1beta1.WorkspaceTemplateApply:
			if byObject.Label == nil || byObject.Label.String() != clusterv1.WatchLabel+"=a" {
				t.Errorf("%s is selected by %v", kind, byObject.Label)
			}
		}
		if _, ok := obj.(*controlplanev1beta1.CAPTControlPlane); ok && byObject.Transform == nil {
			t.Errorf("the control planes' transform (keep every managedFields entry) is lost")
		}
	}
	for kind, n := range kinds {
		if n != 1 {
			t.Errorf("%d cache entries for %s", n, kind)
		}
	}
}

// TestCachedClusterKeepsWhatTheManagerReads: the cache's default transform
// leaves a Cluster its metadata and spec.paused, drops the rest of its spec
// and its status, and keeps only our managers' managedFields entries.
func TestCachedClusterKeepsWhatTheManagerReads(t *testing.T) {
	opts, err := CacheOptions(DefaultOptions(), AllServed)
	if err != nil {
		t.Fatal(err)
	}
	paused := true
	in := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{
			Name: "c", Namespace: "ns", ResourceVersion: "7", Labels: map[string]string{"l": "v"},
			Annotations:   map[string]string{clusterv1.PausedAnnotation: ""},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "manager"}, {Manager: ownership.ControlPlane}},
		},
		Spec: clusterv1.ClusterSpec{
			Paused:            &paused,
			ClusterNetwork:    clusterv1.ClusterNetwork{ServiceDomain: "cluster.local"},
			ControlPlaneRef:   clusterv1.ContractVersionedObjectReference{Kind: "CAPTControlPlane", Name: "cp", APIGroup: controlplanev1beta1.GroupVersion.Group},
			Topology:          clusterv1.Topology{Version: "v1.31.0"},
			AvailabilityGates: []clusterv1.ClusterAvailabilityGate{{ConditionType: "X"}},
		},
		Status: clusterv1.ClusterStatus{Phase: "Provisioned", Conditions: []metav1.Condition{{Type: "Available"}}},
	}
	out, err := opts.DefaultTransform(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &clusterv1.Cluster{
		ObjectMeta: metav1.ObjectMeta{
			Name: "c", Namespace: "ns", ResourceVersion: "7", Labels: map[string]string{"l": "v"},
			Annotations:   map[string]string{clusterv1.PausedAnnotation: ""},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: ownership.ControlPlane}},
		},
		Spec: clusterv1.ClusterSpec{Paused: &paused},
	}
	if !equality.Semantic.DeepEqual(out, want) {
		t.Errorf("cached Cluster:\n%+v\nwant\n%+v", out, want)
	}
}

// TestCachedAppliesAndWorkspacesKeepUpstreamEntries: applies and Workspaces
// keep upstream CAPT's managedFields entries beside ours, which is how the
// one-time migration knows which of them to read from the API server; the
// entries of every other manager are dropped.
func TestCachedAppliesAndWorkspacesKeepUpstreamEntries(t *testing.T) {
	opts, err := CacheOptions(DefaultOptions(), AllServed)
	if err != nil {
		t.Fatal(err)
	}
	entries := []metav1.ManagedFieldsEntry{{Manager: "manager"}, {Manager: "provider-terraform"}, {Manager: "kubectl-edit"}, {Manager: ownership.WorkspaceTemplateApply}}
	want := []metav1.ManagedFieldsEntry{{Manager: "manager"}, {Manager: "kubectl-edit"}, {Manager: ownership.WorkspaceTemplateApply}}
	kinds := 0
	for obj, byObject := range opts.ByObject {
		switch obj.(type) {
		case *infrastructurev1beta1.WorkspaceTemplateApply, *tfv1beta1.Workspace:
			kinds++
			in := obj.DeepCopyObject().(client.Object)
			in.SetManagedFields(slices.Clone(entries))
			if byObject.Transform == nil {
				t.Fatalf("%T has no transform: it keeps every entry", obj)
			}
			out, err := byObject.Transform(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.(client.Object).GetManagedFields(); !equality.Semantic.DeepEqual(got, want) {
				t.Errorf("cached %T keeps %v, want %v", obj, got, want)
			}
		}
	}
	if kinds != 2 {
		t.Errorf("%d of the two kinds have a cache entry", kinds)
	}
}

func TestRESTConfigAsksForNoGzipUnlessTold(t *testing.T) {
	in := &rest.Config{Host: "https://example.com"}
	if got := RESTConfig(in, DefaultOptions()); !got.DisableCompression {
		t.Errorf("by default the manager asks for gzip: the API server would compress every watch event")
	}
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	var o Options
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--kube-api-compression"}); err != nil {
		t.Fatal(err)
	}
	if got := RESTConfig(in, o); got.DisableCompression {
		t.Errorf("--kube-api-compression: the manager does not ask for gzip")
	}
	if in.DisableCompression {
		t.Errorf("RESTConfig changed the config it was given")
	}
}
