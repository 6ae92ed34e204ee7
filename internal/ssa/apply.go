package ssa

import (
	"context"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ApplyIfChanged applies desired to the main resource under manager, with
// ForceOwnership, unless it equals owned: what the object already holds for
// that manager (the generated Extract function's result on the cached
// object, nil when the object does not exist). It reports whether it sent
// the apply.
//
// desired may carry metadata.uid as a precondition (the apply then fails
// instead of creating again an object deleted since the cache saw it).
// Extract never returns a uid, so the comparison leaves it out.
func ApplyIfChanged(ctx context.Context, c client.Client, manager string, desired, owned runtime.ApplyConfiguration) (bool, error) {
	if current, err := current(desired, owned); err != nil || current {
		return false, err
	}
	if err := c.Apply(ctx, desired, client.FieldOwner(manager), client.ForceOwnership); err != nil {
		return false, fmt.Errorf("applying as %s: %w", manager, err)
	}
	return true, nil
}

// ApplyStatusIfChanged is ApplyIfChanged for the status subresource.
func ApplyStatusIfChanged(ctx context.Context, c client.Client, manager string, desired, owned runtime.ApplyConfiguration) (bool, error) {
	if current, err := current(desired, owned); err != nil || current {
		return false, err
	}
	if err := c.Status().Apply(ctx, desired, client.FieldOwner(manager), client.ForceOwnership); err != nil {
		return false, fmt.Errorf("applying status as %s: %w", manager, err)
	}
	return true, nil
}

func current(desired, owned any) (bool, error) {
	if owned == nil {
		return false, nil
	}
	if v := reflect.ValueOf(owned); v.Kind() == reflect.Pointer && v.IsNil() {
		return false, nil // a typed nil: the object does not exist
	}
	d, err := generic(desired)
	if err != nil {
		return false, err
	}
	if metadata, ok := d.(map[string]any)["metadata"].(map[string]any); ok {
		delete(metadata, "uid")
	}
	return JSONEqual(d, owned)
}

// ApplyStatusOf applies desired to obj's status under manager when it
// differs from what manager owns there (extract reads that from obj's
// managedFields), and reports whether it sent it. Errors name the object as
// kind (for people) and namespace/name.
func ApplyStatusOf[T client.Object, A runtime.ApplyConfiguration](ctx context.Context, c client.Client, manager, kind string, obj T, desired A, extract func(T, string) (A, error)) (bool, error) {
	owned, err := extract(obj, manager)
	if err != nil {
		return false, err
	}
	sent, err := ApplyStatusIfChanged(ctx, c, manager, desired, owned)
	if err != nil {
		return false, fmt.Errorf("%s %s/%s: %w", kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return sent, nil
}

// AppliedEntry is manager's Apply entry on subresource ("" or "status") of
// obj: what the generated Extract functions read.
func AppliedEntry(obj client.Object, manager, subresource string) (metav1.ManagedFieldsEntry, bool) {
	for _, e := range obj.GetManagedFields() {
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == subresource {
			return e, true
		}
	}
	return metav1.ManagedFieldsEntry{}, false
}

// ControllerReference is the controller ownerReference to owner, of
// apiVersion and kind, that every object the manager creates for another
// carries: the garbage collector deletes it with its owner, and nothing
// else can claim to control it.
func ControllerReference(apiVersion, kind string, owner metav1.Object) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().WithAPIVersion(apiVersion).WithKind(kind).
		WithName(owner.GetName()).WithUID(owner.GetUID()).WithController(true).WithBlockOwnerDeletion(true)
}
