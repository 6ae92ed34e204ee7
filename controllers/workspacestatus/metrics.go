package workspacestatus

import (
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Counters of what the mirror did, per controller, in controller-runtime's
// registry (served on the manager's metrics endpoint).
var (
	appliesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capt_workspace_status_applies_total",
		Help: "Server-side applies of status.workspaceStatus.",
	}, []string{"controller"})
	skipsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capt_workspace_status_skips_total",
		Help: "Reconciles that sent nothing because the mirror was current.",
	}, []string{"controller"})
	restoresTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capt_workspace_status_restores_total",
		Help: "Applies that repaired status.workspaceStatus after another writer changed or removed it.",
	}, []string{"controller"})
	errorsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capt_workspace_status_errors_total",
		Help: "Reconciles of status.workspaceStatus that failed.",
	}, []string{"controller"})
	migrationsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "capt_workspace_status_migrations_total",
		Help: "One-time managedFields migrations of objects written by older clients.",
	}, []string{"controller"})
)

func init() {
	metrics.Registry.MustRegister(appliesTotal, skipsTotal, restoresTotal, errorsTotal, migrationsTotal)
}
