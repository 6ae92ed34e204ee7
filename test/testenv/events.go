package testenv

import (
	"context"

	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Events lists the Events in namespace about the object named regarding
// with the given reason.
func Events(ctx context.Context, c client.Client, namespace, regarding, reason string) ([]eventsv1.Event, error) {
	list := &eventsv1.EventList{}
	if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return nil, err
	}
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Name == regarding && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out, nil
}
