package manager

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	toolscache "k8s.io/client-go/tools/cache"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/providerterraform"
	"github.com/capt-controlplane/capt-controlplane/internal/upstream"
)

// CacheOptions is the one cache configuration of the manager:
//   - every kind keeps only the managedFields entries of our own managers:
//     the no-op check of each apply extracts what its manager owns from the
//     cached object, and other managers' entries are never read;
//   - control planes keep every entry: the one-time migration reads the
//     Update entries older clients left;
//   - WorkspaceTemplateApplies and Workspaces also keep upstream CAPT's
//     entries (internal/upstream): only an object that has one needs the
//     one-time migration, which reads it from the API server, so an object
//     this manager created is never read from the API server;
//   - Cluster API's Clusters keep their metadata and spec.paused only: the
//     manager reads nothing else of them and never writes them, and a
//     Cluster's topology, network and status are most of its size;
//   - Secrets are cached only when they carry the control-plane label that
//     the kubeconfig Secrets we write carry, not every Secret in the cluster;
//   - --namespace restricts the namespaced kinds, --watch-filter the control
//     planes and their WorkspaceTemplateApplies.
//
// served says which of the other projects' kinds are served: an entry for
// a kind that is not fails the cache's start.
func CacheOptions(o Options, served Served) (cache.Options, error) {
	ours, err := labels.NewRequirement(controlplanev1beta1.LabelControlPlaneName, selection.Exists, nil)
	if err != nil {
		return cache.Options{}, err
	}
	opts := cache.Options{
		SyncPeriod:       &o.SyncPeriod,
		DefaultTransform: defaultTransform,
		ByObject: map[client.Object]cache.ByObject{
			&controlplanev1beta1.CAPTControlPlane{}:         {Transform: keepEverything},
			&infrastructurev1beta1.WorkspaceTemplateApply{}: {Transform: keepOwnAndUpstreamManagedFields},
			&corev1.Secret{}: {Label: labels.NewSelector().Add(*ours)},
		},
	}
	if served.ClusterScopedWorkspace {
		opts.ByObject[&tfv1beta1.Workspace{}] = cache.ByObject{Transform: keepOwnAndUpstreamManagedFields}
	}
	if o.Namespace != "" {
		opts.DefaultNamespaces = map[string]cache.Config{o.Namespace: {}}
	}
	if o.WatchFilter != "" {
		req, err := labels.NewRequirement(clusterv1.WatchLabel, selection.Equals, []string{o.WatchFilter})
		if err != nil {
			return opts, fmt.Errorf("--watch-filter: %w", err)
		}
		// ByObject is keyed by pointer: the filter goes on the entries
		// already there (a new &CAPTControlPlane{} key would be a second
		// entry for the kind, and the cache would keep either one).
		for obj, byObject := range opts.ByObject {
			switch obj.(type) {
			case *controlplanev1beta1.CAPTControlPlane, *infrastructurev1beta1.WorkspaceTemplateApply:
				byObject.Label = labels.NewSelector().Add(*req)
				opts.ByObject[obj] = byObject
			}
		}
	}
	return opts, nil
}

// Served says which of the other projects' kinds the API server serves,
// as far as the cache configuration depends on it.
type Served struct {
	// ClusterScopedWorkspace: provider-terraform's tf.upbound.io Workspace.
	ClusterScopedWorkspace bool
}

// AllServed is the API server with provider-terraform v1 installed.
var AllServed = Served{ClusterScopedWorkspace: true}

// ServedBy asks mapper what is served.
func ServedBy(mapper meta.RESTMapper) Served {
	return Served{ClusterScopedWorkspace: providerterraform.ClusterScopedServed(mapper)}
}

// defaultTransform is the transform of every kind without one of its own.
// Clusters get theirs here rather than in ByObject: a ByObject entry for a
// kind whose CRD is not installed (no Cluster API) fails the cache's start.
func defaultTransform(in any) (any, error) {
	if c, ok := in.(*clusterv1.Cluster); ok {
		TrimCluster(c)
	}
	return KeepOwnManagedFields(in)
}

// TrimCluster drops from a cached Cluster all but its metadata and
// spec.paused, the one field of it the manager reads.
func TrimCluster(c *clusterv1.Cluster) {
	c.Spec = clusterv1.ClusterSpec{Paused: c.Spec.Paused}
	c.Status = clusterv1.ClusterStatus{}
}

// KeepOwnManagedFields is a cache transform that drops the managedFields
// entries of every manager but ours.
var KeepOwnManagedFields = keepManagedFieldsOf(ownership.FieldManagers...)

// keepOwnAndUpstreamManagedFields also keeps upstream CAPT's entries, which
// tell the one-time migration which objects it has to read.
var keepOwnAndUpstreamManagedFields = keepManagedFieldsOf(append(slices.Clone(ownership.FieldManagers), upstream.Managers.UnsortedList()...)...)

// keepManagedFieldsOf is a cache transform that drops the managedFields
// entries of every manager but these.
func keepManagedFieldsOf(managers ...string) toolscache.TransformFunc {
	return func(in any) (any, error) {
		// Not an object (a tombstone): nothing to drop.
		obj, ok := in.(metav1.Object)
		if !ok || len(obj.GetManagedFields()) == 0 {
			return in, nil
		}
		kept := slices.DeleteFunc(obj.GetManagedFields(), func(e metav1.ManagedFieldsEntry) bool {
			return !slices.Contains(managers, e.Manager)
		})
		if len(kept) == 0 {
			kept = nil
		}
		obj.SetManagedFields(kept)
		return in, nil
	}
}

func keepEverything(in any) (any, error) { return in, nil }
