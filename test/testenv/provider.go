package testenv

import (
	"context"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
)

// ProviderFieldManager is the field manager the provider player writes as.
const ProviderFieldManager = "provider-terraform"

// Observation is what provider-terraform reports on a Workspace.
type Observation struct {
	Ready    bool
	Reason   string // of the Ready condition
	Checksum string
	Outputs  map[string]any
}

// Provide plays provider-terraform with a ready or not-ready observation
// of checksum and outputs (ProvideObservation).
func Provide(ctx context.Context, c client.Client, workspace string, obs Observation) error {
	raw, err := json.Marshal(map[string]any{"checksum": obs.Checksum, "outputs": obs.Outputs})
	if err != nil {
		return err
	}
	return ProvideObservation(ctx, c, workspace, &runtime.RawExtension{Raw: raw}, obs.Ready, obs.Reason, nil)
}

// ProvideObservation is the one provider-terraform player of every test,
// harness and benchmark: it writes the Workspace's atProvider (empty for a
// gap: a provider restart or a failed observe) and its Ready (ready, reason)
// and Synced conditions with a plain status update, as the real provider
// does, retrying on conflict. A condition keeps its transition time while
// its status does not change. beforeAttempt, when set, is called just
// before each attempt (the benchmark marks the change's time there).
func ProvideObservation(ctx context.Context, c client.Client, workspace string, atProvider *runtime.RawExtension,
	ready bool, reason string, beforeAttempt func()) error {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ws := &tfv1beta1.Workspace{}
		if err := c.Get(ctx, client.ObjectKey{Name: workspace}, ws); err != nil {
			return err
		}
		ws.Status.AtProvider = atProvider
		ws.Status.Conditions = []tfv1beta1.Condition{
			providerCondition(ws.Status.Conditions, tfv1beta1.TypeReady, status, reason),
			providerCondition(ws.Status.Conditions, tfv1beta1.TypeSynced, metav1.ConditionTrue, "ReconcileSuccess"),
		}
		if beforeAttempt != nil {
			beforeAttempt()
		}
		return c.Status().Update(ctx, ws, client.FieldOwner(ProviderFieldManager))
	})
}

// ProvideOrGap is ProvideObservation of a Workspace that is ready
// (Available) with atProvider, or not ready (Unavailable) when atProvider
// is empty: a gap.
func ProvideOrGap(ctx context.Context, c client.Client, workspace string, atProvider *runtime.RawExtension, beforeAttempt func()) error {
	if tfv1beta1.ObservationOf(atProvider).IsEmpty() {
		return ProvideObservation(ctx, c, workspace, atProvider, false, tfv1beta1.ReasonUnavailable, beforeAttempt)
	}
	return ProvideObservation(ctx, c, workspace, atProvider, true, tfv1beta1.ReasonAvailable, beforeAttempt)
}

func providerCondition(live []tfv1beta1.Condition, t tfv1beta1.ConditionType, status metav1.ConditionStatus, reason string) tfv1beta1.Condition {
	c := tfv1beta1.Condition{Type: t, Status: status, Reason: reason, LastTransitionTime: metav1.Now().Rfc3339Copy()}
	if prev := tfv1beta1.FindCondition(live, t); prev != nil && prev.Status == status {
		c.LastTransitionTime = prev.LastTransitionTime
	}
	return c
}
