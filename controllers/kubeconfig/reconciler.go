package kubeconfig

import (
	"context"
	"errors"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/clusterapi"
	"github.com/capt-controlplane/capt-controlplane/internal/grants"
	"github.com/capt-controlplane/capt-controlplane/internal/kubeconfigs"
	"github.com/capt-controlplane/capt-controlplane/internal/ownership"
	"github.com/capt-controlplane/capt-controlplane/internal/skeleton"
)

const (
	// FieldManager owns the kubeconfig Secret and the control plane's
	// KubeconfigReady condition.
	FieldManager = ownership.Kubeconfig
	// ControllerName names this controller in logs and metrics.
	ControllerName = "kubeconfig"

	// RenewBefore is how long before its expiry a token is replaced: a
	// token Cluster API read just before the renewal stays valid this long.
	RenewBefore = 5 * time.Minute
	// retryCredentials is how soon missing credentials are read again:
	// credentials Secrets are not watched (no Secret cache).
	retryCredentials = time.Minute
)

// Reconciler writes the token kubeconfig Secret of each control plane.
type Reconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads the ProviderConfig and the credentials Secret by
	// name, from the API server.
	APIReader client.Reader
	// Recorder records Events on control planes.
	Recorder events.EventRecorder
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// GrantsInstalled is when ProviderConfigGrants were installed
	// (grants.InstalledAt).
	GrantsInstalled time.Time

	// clusterAPI is what the manager found of Cluster API at start: an
	// older one, whose pause cannot be seen, holds every control plane.
	clusterAPI clusterapi.Support
}

// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes,verbs=get;list;watch
// +kubebuilder:rbac:groups=controlplane.cluster.x-k8s.io,resources=captcontrolplanes/status,verbs=patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=workspacetemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=cluster.x-k8s.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.upbound.io,resources=providerconfigs,verbs=get
// +kubebuilder:rbac:groups=tf.m.upbound.io,resources=providerconfigs;clusterproviderconfigs,verbs=get
// +kubebuilder:rbac:groups=tf.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=tf.m.upbound.io,resources=workspaces,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=infrastructure.cluster.x-k8s.io,resources=providerconfiggrants,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Reconcile keeps the control plane's token kubeconfig current and returns
// when the token is due for renewal (skeleton.Reconcile, with Observe and
// Act).
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	// No memory: this controller never settles (a token is renewed on a
	// clock).
	return skeleton.Reconcile(ctx, r.Client, nil, req, r)
}

// Name is the controller's name in metrics.
func (r *Reconciler) Name() string { return ControllerName }

// Forget has nothing to drop.
func (r *Reconciler) Forget(client.ObjectKey) {}

// Observe reads the owner Cluster, whose spec.paused pauses the control
// plane as its annotation does; the rest is read by Act.
func (r *Reconciler) Observe(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, in *skeleton.Inputs) (struct{}, skeleton.PauseSources, error) {
	sources := skeleton.PauseSources{HeldBy: r.clusterAPI.HeldBy()}
	if r.clusterAPI.Served {
		cluster, err := ownership.OwnerCluster(ctx, r.Client, cp)
		if err != nil {
			return struct{}{}, sources, err
		}
		sources.Cluster = cluster
	}
	in.Add("cluster", sources.Cluster)
	return struct{}{}, sources, nil
}

// Act writes the token kubeconfig when the one there is not good for what
// the control plane needs now. Any decision but Normal (deleting, paused,
// held by an older Cluster API) gets nothing. It never settles: the
// renewal is on a clock.
func (r *Reconciler) Act(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, _ struct{}, state skeleton.State) (skeleton.Outcome, error) {
	if state.Decision != skeleton.Normal {
		return skeleton.Outcome{}, nil
	}
	result, err := r.renew(ctx, cp)
	return skeleton.Outcome{Result: result}, err
}

// renew writes a new token when needed and returns when to come back.
func (r *Reconciler) renew(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (ctrl.Result, error) {
	target, ok := targetOf(cp, nil)
	// A sensitive output (the CA, commonly) is only in the Workspace's
	// connection Secret, which is read from the API server.
	sensitiveCA := !ok && target.Name != "" && len(target.CA) == 0 && target.Region != ""
	if !ok && !sensitiveCA {
		return ctrl.Result{}, nil
	}
	now := r.now()
	key := types.NamespacedName{Namespace: cp.Namespace, Name: SecretName(target.Name)}
	current := &corev1.Secret{}
	switch err := r.Client.Get(ctx, key, current); {
	case apierrors.IsNotFound(err):
		current = nil
	case err != nil:
		return ctrl.Result{}, err
	}
	// Someone else's Secret of the name is never adopted; one the cache
	// does not hold may be upstream CAPT's, handed over before the first
	// write (live).
	live, err := ownership.SecretFor(ctx, r.APIReader, key, current, cp, FieldManager)
	if errors.As(err, new(ownership.SecretTakenError)) {
		return r.refuse(ctx, cp, controlplanev1beta1.ReasonSecretNameTaken, err)
	} else if err != nil {
		return ctrl.Result{}, err
	}
	if sensitiveCA {
		// A good token for everything else the target names keeps the CA
		// it holds, so that a resync reads no Secret; the renewal reads
		// the connection Secret again.
		held := target
		held.CA = caOf(current)
		if expires, fresh := stillValid(current, cp, held, now); fresh && len(held.CA) > 0 {
			return r.keep(ctx, cp, expires, now)
		}
		connection, err := r.connection(ctx, cp)
		if err != nil {
			return ctrl.Result{}, err
		}
		if target, ok = targetOf(cp, connection); !ok {
			return ctrl.Result{}, nil
		}
	}
	if expires, fresh := stillValid(current, cp, target, now); fresh {
		return r.keep(ctx, cp, expires, now)
	}

	creds, err := r.credentials(ctx, cp)
	if err != nil {
		// The old Secret stays: its token may still be valid, and nothing
		// better can be made.
		reason := controlplanev1beta1.ReasonCredentialsUnavailable
		if errors.As(err, new(*grants.NotGrantedError)) {
			reason = controlplanev1beta1.ReasonProviderConfigNotGranted
		}
		return r.refuse(ctx, cp, reason, err)
	}
	expires, err := r.applySecret(ctx, cp, target, creds, live, now)
	if err != nil {
		return ctrl.Result{}, err
	}
	if _, err := r.applyCondition(ctx, cp, true, controlplanev1beta1.ReasonTokenIssued, tokenIssued); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: expires.Add(-RenewBefore).Sub(now)}, nil
}

// refuse says why no token is written, in KubeconfigReady and, once per
// new reason, in an Event and the log; then it retries quietly (neither
// credentials nor foreign Secrets are watched).
func (r *Reconciler) refuse(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, reason string, cause error) (ctrl.Result, error) {
	sent, err := r.applyCondition(ctx, cp, false, reason, cause.Error())
	if err != nil {
		return ctrl.Result{}, err
	}
	if sent {
		r.Recorder.Eventf(cp, nil, corev1.EventTypeWarning, reason, "SignToken", "%s", cause.Error())
		r.log(ctx).Info("no token kubeconfig written", "reason", reason, "message", cause.Error())
	}
	return ctrl.Result{RequeueAfter: retryCredentials}, nil
}

// keep leaves a good token as it is and comes back for its renewal. A
// condition another writer removed is put back; one that says the
// credentials broke stays until the renewal tries them again.
func (r *Reconciler) keep(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane, expires, now time.Time) (ctrl.Result, error) {
	if meta.FindStatusCondition(cp.Status.Conditions, controlplanev1beta1.ConditionKubeconfigReady) == nil {
		if _, err := r.applyCondition(ctx, cp, true, controlplanev1beta1.ReasonTokenIssued, tokenIssued); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{RequeueAfter: expires.Add(-RenewBefore).Sub(now)}, nil
}

// connection is the data of the control plane's Workspace's connection
// Secret; nil when there is no Workspace or no such Secret.
func (r *Reconciler) connection(ctx context.Context, cp *controlplanev1beta1.CAPTControlPlane) (map[string][]byte, error) {
	_, ws, err := ownership.WorkspaceOf(ctx, r.Client, cp)
	if err != nil || ws == nil {
		return nil, client.IgnoreNotFound(err)
	}
	secret, err := kubeconfigs.Connection(ctx, r.APIReader, ws)
	return kubeconfigs.DataOf(secret), err
}

// tokenIssued is the message of a True KubeconfigReady: constant, so that a
// renewal changes nothing in the status.
const tokenIssued = "the kubeconfig holds an EKS token signed with the ProviderConfig's credentials; it is renewed before it expires"

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) log(ctx context.Context) logr.Logger {
	return ctrl.LoggerFrom(ctx).WithName(ControllerName)
}
