package capi

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// history is every version of every control plane and Workspace the API
// server sent to a watch, from before the first object was created: the
// assertions that must hold "throughout" read it, not a last snapshot.
type history struct {
	mu            sync.Mutex
	controlPlanes []*controlplanev1beta1.CAPTControlPlane
	workspaces    []tfv1beta1.AnyWorkspace
}

// record starts watching until ctx ends.
func record(ctx context.Context, c client.WithWatch) *history {
	h := &history{}
	go watchAll(ctx, c, &controlplanev1beta1.CAPTControlPlaneList{}, func(obj client.Object) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.controlPlanes = append(h.controlPlanes, obj.(*controlplanev1beta1.CAPTControlPlane))
	})
	go watchAll(ctx, c, testenv.NewWorkspaceList(testenv.WorkspaceScope()), func(obj client.Object) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.workspaces = append(h.workspaces, obj.(tfv1beta1.AnyWorkspace))
	})
	return h
}

// watchAll passes every object of list's kind that a watch sends to add,
// watching again from the last resource version when a watch ends.
func watchAll(ctx context.Context, c client.WithWatch, list client.ObjectList, add func(client.Object)) {
	resourceVersion := ""
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, list, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersion}})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				resourceVersion = "" // expired: start over from the current state
				break
			}
			if obj, ok := ev.Object.(client.Object); ok {
				resourceVersion = obj.GetResourceVersion()
				add(obj)
			}
		}
		w.Stop()
	}
}

// ControlPlanes returns the recorded control plane versions.
func (h *history) ControlPlanes() []*controlplanev1beta1.CAPTControlPlane {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*controlplanev1beta1.CAPTControlPlane(nil), h.controlPlanes...)
}

// Workspaces returns the recorded Workspace versions.
func (h *history) Workspaces() []tfv1beta1.AnyWorkspace {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]tfv1beta1.AnyWorkspace(nil), h.workspaces...)
}
