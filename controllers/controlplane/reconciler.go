package controlplane

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	infrastructurev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/infrastructure/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

const (
	// FieldManager owns the control plane's finalizer, its recorded spec
	// fields, its WorkspaceTemplateApply, its kubeconfig Secret and every
	// status field but workspaceStatus.
	FieldManager = ownership.ControlPlane

	// ControllerName names this controller in logs and metrics.
	ControllerName = "controlplane"
)

// Reconciler drives a CAPTControlPlane to a ready EKS control plane.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads a Workspace's connection Secret by name, from the
	// API server: the manager caches no such Secret.
	APIReader client.Reader
	// Recorder records Events on control planes.
	Recorder events.EventRecorder
	// Now is the clock, for the creation timeout; time.Now when nil.
	Now func() time.Time

	// clusterAPI is what the manager found of Cluster API at start: where
	// its Cluster kind is served a control plane waits for its owner
	// Cluster; where only an older version is served the control plane
	// takes no action (it could not see Cluster.spec.paused).
	clusterAPI clusterapi.Support

	// settled skips a reconcile whose inputs are those of the last one that
	// sent nothing (resyncs of unchanged control planes).
	settled skeleton.Memory
}

// observed is what a reconcile reads about a control plane.
type observed struct {
	cluster *clusterv1.Cluster // the owner Cluster, nil when none
	// pausedBy says what pauses the control plane ("" when nothing:
	// skeleton.PausedBy), for the Paused condition; held is the decision
	// to take no action but the status (paused, or an older Cluster API).
	pausedBy string
	held     bool
	// clusterAPI is the Cluster API the manager found, for the status.
	clusterAPI clusterapi.Support
	// waitingForCluster: nothing is rendered until Cluster API sets the
	// owner Cluster (see terraformClusterName).
	waitingForCluster bool
	kubeconfig        *corev1.Secret // the people's kubeconfig Secret, nil when none
	// connection is the Workspace's connection Secret, read (by
	// readConnection, after the settled check: an idle resync reads no
	// Secret) only when the observation lacks an output the kubeconfig
	// needs (a sensitive CA).
	connection *corev1.Secret
	// connectionPending: the connection Secret is needed and does not exist
	// yet; the reconcile is not settled until it has been read.
	connectionPending bool
	apply             *infrastructurev1beta1.WorkspaceTemplateApply
	workspace         tfv1beta1.AnyWorkspace
}

// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplateapplies,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.m.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile is skeleton.Reconcile with Observe and Act below.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return skeleton.Reconcile(ctx, r.Client, &r.settled, req, r)
}

// Name is the controller's name in metrics.
func (r *Reconciler) Name() string { return ControllerName }

// Forget has nothing to drop: the controller remembers nothing but its
// settled inputs.
func (r *Reconciler) Forget(client.ObjectKey) {}

// Observe reads the owner Cluster, the WorkspaceTemplateApply, the
// Workspace and the people's kubeconfig Secret (missing ones stay nil) and
// records their versions. The owner Cluster's spec.paused and the control
// plane's annotation pause it.
func (r *Reconciler) Observe(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, in *skeleton.Inputs) (*observed, skeleton.PauseSources, error) {
	obs, err := r.observe(ctx, cp, in)
	return obs, skeleton.PauseSources{Cluster: obs.cluster, HeldBy: r.clusterAPI.HeldBy()}, err
}

// Act carries out the decision. Cluster API's contract: a held (paused)
// control plane gets no action, its deletion included (clusterctl move
// pauses, then deletes the source objects: acting would destroy the
// cluster being moved). It only reports its status, with the Paused
// condition naming what pauses it. A control plane clusterctl move
// deletes only drops its finalizer.
func (r *Reconciler) Act(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs *observed, state skeleton.State) (skeleton.Outcome, error) {
	obs.pausedBy, obs.held = state.PausedBy, state.Decision == skeleton.Hold
	switch state.Decision {
	case skeleton.LetGo:
		// Its apply moves with it: never deleted from here.
		return skeleton.Outcome{}, r.releaseFinalizer(ctx, cp)
	case skeleton.Delete:
		return skeleton.Outcome{}, r.reconcileDelete(ctx, cp, *obs)
	}
	return r.reconcileNormal(ctx, cp, obs)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs *observed) (skeleton.Outcome, error) {
	if !obs.held {
		if migrated, err := r.migrateFromUpstream(ctx, cp); err != nil || migrated {
			return skeleton.Outcome{}, err
		}
	}
	status := desiredStatus(cp, *obs, r.now())
	sent := false
	if !obs.held {
		specSent, err := r.applySpec(ctx, cp, status.endpoint, true)
		if err != nil {
			return skeleton.Outcome{}, err
		}
		applySent, err := r.applyWorkspaceTemplateApply(ctx, cp, *obs, status.version)
		if err != nil {
			return skeleton.Outcome{}, err
		}
		if err := r.readConnection(ctx, cp, obs); err != nil {
			return skeleton.Outcome{}, err
		}
		secretReady, secretSent, err := r.applyKubeconfig(ctx, cp, *obs, status.endpoint)
		if err != nil {
			return skeleton.Outcome{}, err
		}
		sent = specSent || applySent || secretSent
		status.apply.WithSecretsReady(secretReady)
	} else {
		status.apply.WithSecretsReady(cp.Status.SecretsReady)
	}
	if status.endpointErr != nil {
		r.Recorder.Eventf(cp, nil, "Warning", controlplanev1beta1.ReasonEndpointUpdateFailed, "ReadEndpoint", "%s", status.endpointErr.Error())
	}
	if status.endpointChanged != "" {
		r.Recorder.Eventf(cp, nil, "Warning", controlplanev1beta1.ReasonEndpointChanged, "ReadEndpoint", "%s", status.endpointChanged)
	}
	statusSent, err := r.applyStatus(ctx, cp, status.apply)
	if err != nil {
		return skeleton.Outcome{}, err
	}
	// Nothing sent and nothing pending on a clock or a Secret: the same
	// inputs would decide the same.
	return skeleton.Outcome{
		Result:  ctrl.Result{RequeueAfter: status.requeue},
		Settled: !sent && !statusSent && status.requeue == 0 && !obs.connectionPending,
	}, nil
}

func (r *Reconciler) observe(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, in *skeleton.Inputs) (*observed, error) {
	obs := &observed{clusterAPI: r.clusterAPI}
	var err error
	if obs.cluster, err = ownership.OwnerCluster(ctx, r.Client, cp); err != nil {
		return obs, err
	}
	obs.apply, obs.workspace, err = ownership.WorkspaceOf(ctx, r.Client, cp)
	if foreign := (ownership.ForeignWorkspaceError{}); err != nil && !errors.As(err, &foreign) {
		return obs, err // another control plane's Workspace of the same name is none of ours
	}
	_, known := r.terraformClusterName(cp, *obs)
	obs.waitingForCluster = !known

	if cluster := controlplanev1beta1.OwnerClusterName(cp); cluster != "" {
		secret := &corev1.Secret{}
		switch err := r.Client.Get(ctx, types.NamespacedName{Namespace: cp.Namespace, Name: kubeconfigSecretName(cluster)}, secret); {
		case err == nil:
			obs.kubeconfig = secret
		case !apierrors.IsNotFound(err):
			return obs, err
		}
	}

	in.Add("cluster", obs.cluster)
	in.Add("apply", obs.apply)
	in.Add("workspace", obs.workspace)
	in.Add("kubeconfig", obs.kubeconfig)
	return obs, nil
}

// readConnection reads the Workspace's connection Secret into obs when the
// kubeconfig needs it. It is not among the settled inputs: provider-terraform
// writes the Secret before the observation that names its outputs, so a new
// Secret comes with a new Workspace version, except the first time, when
// the Secret may not exist yet (connectionPending).
func (r *Reconciler) readConnection(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, obs *observed) error {
	if obs.workspace == nil || controlplanev1beta1.OwnerClusterName(cp) == "" {
		return nil
	}
	var err error
	if obs.connection, err = kubeconfigs.Connection(ctx, r.APIReader, obs.workspace); err != nil {
		return err
	}
	_, named := obs.workspace.ConnectionSecret()
	obs.connectionPending = obs.connection == nil && named && kubeconfigs.NeedsConnection(tfv1beta1.ObservationOf(obs.workspace.Observed().AtProvider))
	return nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
