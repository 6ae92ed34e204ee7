package skeleton

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// settledSkips counts the reconciles Reconcile skipped because their
// inputs were those the last one settled on, per controller.
var settledSkips = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "capt_settled_skips_total",
	Help: "Reconciles skipped because their inputs were those the last reconcile settled on.",
}, []string{"controller"})

func init() { metrics.Registry.MustRegister(settledSkips) }
