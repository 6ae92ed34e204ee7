package workspacestatus

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Counters of what the mirror did, in controller-runtime's registry (served
// on the manager's metrics endpoint). Failed reconciles are counted by
// controller-runtime itself (controller_runtime_reconcile_errors_total).
var (
	appliesTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "capt_workspace_status_applies_total",
		Help: "Server-side applies of status.workspaceStatus.",
	})
	skipsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "capt_workspace_status_skips_total",
		Help: "Reconciles that sent nothing because the mirror was current.",
	})
	restoresTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "capt_workspace_status_restores_total",
		Help: "Applies that repaired status.workspaceStatus after another writer changed or removed it.",
	})
	migrationsTotal = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "capt_workspace_status_migrations_total",
		Help: "One-time managedFields migrations of objects written by older clients.",
	})
)

func init() {
	metrics.Registry.MustRegister(appliesTotal, skipsTotal, restoresTotal, migrationsTotal)
}
