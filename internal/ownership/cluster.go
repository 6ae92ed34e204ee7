package ownership

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// OwnerCluster reads the control plane's owner Cluster from c; nil when it
// has none, the Cluster is gone, or Cluster API's v1beta2 Cluster is not
// served.
func OwnerCluster(ctx context.Context, c client.Reader, cp *controlplanev1beta1.CAPTControlPlane) (*clusterv1.Cluster, error) {
	name := controlplanev1beta1.OwnerClusterName(cp)
	if name == "" {
		return nil, nil
	}
	cluster := &clusterv1.Cluster{}
	switch err := c.Get(ctx, types.NamespacedName{Namespace: cp.Namespace, Name: name}, cluster); {
	case err == nil:
		return cluster, nil
	case Absent(err):
		return nil, nil
	default:
		return nil, err
	}
}

// Absent reports whether a read found nothing: the object is not there, or
// its kind is not served (the CRD of another project not installed yet).
func Absent(err error) bool { return apierrors.IsNotFound(err) || meta.IsNoMatchError(err) }
