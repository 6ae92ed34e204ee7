package testenv

import (
	"context"
	"encoding/json"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

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
	// Sensitive names the outputs the module marks sensitive: the provider
	// writes them to the connection Secret only, never to atProvider.
	Sensitive []string
}

// ConnectionSecretType is the type of the connection Secrets Crossplane's
// managed resources write.
const ConnectionSecretType = "connection.crossplane.io/v1alpha1"

// Provide plays provider-terraform with a ready or not-ready observation
// of checksum and outputs, as the real provider writes it: its finalizer
// and external-name annotations first (once), then every output (a string
// as it is, any other value as JSON) to the Workspace's connection Secret,
// when it names one, then the observation without the sensitive outputs
// (ProvideObservation). The environment's ReleaseDeletedWorkspaces
// releases the finalizer when the Workspace is deleted.
func Provide(ctx context.Context, c client.Client, workspace types.NamespacedName, obs Observation) error {
	if err := claimWorkspace(ctx, c, workspace); err != nil {
		return err
	}
	if err := writeConnectionSecret(ctx, c, workspace, obs.Outputs); err != nil {
		return err
	}
	observed := map[string]any{}
	for name, value := range obs.Outputs {
		if !slices.Contains(obs.Sensitive, name) {
			observed[name] = value
		}
	}
	raw, err := json.Marshal(map[string]any{"checksum": obs.Checksum, "outputs": observed})
	if err != nil {
		return err
	}
	return ProvideObservation(ctx, c, workspace, &runtime.RawExtension{Raw: raw}, obs.Ready, obs.Reason, nil)
}

// writeConnectionSecret creates or replaces the Workspace's connection
// Secret with every output, owned by the Workspace as Crossplane's are.
func writeConnectionSecret(ctx context.Context, c client.Client, workspace types.NamespacedName, outputs map[string]any) error {
	ws, err := GetWorkspace(ctx, c, workspace)
	if err != nil {
		return err
	}
	ref, ok := ws.ConnectionSecret()
	if !ok {
		return nil
	}
	data := map[string][]byte{}
	for name, value := range outputs {
		if s, ok := value.(string); ok {
			data[name] = []byte(s)
			continue
		}
		raw, err := json.Marshal(value)
		if err != nil {
			return err
		}
		data[name] = raw
	}
	gvk, err := c.GroupVersionKindFor(ws)
	if err != nil {
		return err
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: ref.Name, Namespace: ref.Namespace}}
	_, err = controllerutil.CreateOrUpdate(ctx, c, secret, func() error {
		secret.Type = ConnectionSecretType
		secret.Data = data
		secret.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Name: ws.GetName(), UID: ws.GetUID(), Controller: ptr.To(true),
		}}
		return nil
	})
	return err
}

// ProvideObservation is the one provider-terraform player of every test,
// harness and benchmark: it writes the Workspace's atProvider (empty for a
// gap: a provider restart or a failed observe) and its Ready (ready, reason)
// and Synced conditions for the Workspace's current generation (Terraform
// ran it) with a plain status update, as the real provider does, retrying
// on conflict. A condition keeps its transition time while
// its status does not change. beforeAttempt, when set, is called just
// before each attempt (the benchmark marks the change's time there).
func ProvideObservation(ctx context.Context, c client.Client, workspace types.NamespacedName, atProvider *runtime.RawExtension,
	ready bool, reason string, beforeAttempt func()) error {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ws, err := GetWorkspace(ctx, c, workspace)
		if err != nil {
			return err
		}
		observed := ws.Observed()
		observed.AtProvider = atProvider
		observed.Conditions = []tfv1beta1.Condition{
			providerCondition(observed.Conditions, tfv1beta1.TypeReady, status, reason),
			providerCondition(observed.Conditions, tfv1beta1.TypeSynced, metav1.ConditionTrue, "ReconcileSuccess"),
		}
		// For the Workspace's generation, as provider-terraform v1
		// (crossplane-runtime v2) sets it once Terraform ran its spec.
		for i := range observed.Conditions {
			observed.Conditions[i].ObservedGeneration = ws.GetGeneration()
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
func ProvideOrGap(ctx context.Context, c client.Client, workspace types.NamespacedName, atProvider *runtime.RawExtension, beforeAttempt func()) error {
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
