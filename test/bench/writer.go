package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	tfv1beta1 "github.com/capt-controlplane/capt-controlplane/apis/external/tf/v1beta1"
	cpac "github.com/capt-controlplane/capt-controlplane/applyconfig/controlplane/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/internal/scheme"
)

// The four writers of status.workspaceStatus the harness compares.
const (
	writerUpdate = "A-update"     // get, set the whole status, Status().Update, retry on conflict
	writerMerge  = "B-mergefrom"  // the CAPTEP-0040 MergeFrom patch
	writerApply  = "C-naiveapply" // Status().Apply on every reconcile
	writerOurs   = "D-manager"    // bin/manager as shipped: all four controllers
	// bin/manager again, rendering provider-terraform v1's namespaced
	// Workspaces (tf.m.upbound.io): D's figures for that kind, same run.
	writerOursNamespaced = "E-manager-namespaced"
)

var writers = []string{writerUpdate, writerMerge, writerApply, writerOurs, writerOursNamespaced}

// baselineController names the baselines' one controller in their metrics.
const baselineController = "baseline"

// runWriter is the child process of a baseline writer: one controller in
// a controller-runtime manager. It prints READY once its cache synced; the
// harness counts its requests in the proxy its kubeconfig points at.
func runWriter(kind, kubeconfig, namespace, metricsAddr string, resync time.Duration, cpuProfile string) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: scheme.New(),
		// Served so that the harness sees the reconciles of a restart's
		// first sweep, as it does bin/manager's.
		Metrics: metricsserver.Options{BindAddress: metricsAddr},
		Cache: cache.Options{
			SyncPeriod:        &resync,
			DefaultNamespaces: map[string]cache.Config{namespace: {}},
		},
	})
	if err != nil {
		return err
	}
	ctx := ctrl.SetupSignalHandler()
	b := &baseline{client: mgr.GetClient(), reader: mgr.GetAPIReader(), kind: kind}
	err = ctrl.NewControllerManagedBy(mgr).Named(baselineController).
		For(&controlplanev1beta1.CAPTControlPlane{}).
		Watches(&tfv1beta1.Workspace{}, handler.EnqueueRequestsFromMapFunc(controlPlaneOfWorkspace(namespace))).
		WithOptions(controller.Options{MaxConcurrentReconciles: 4}).Complete(b)
	if err != nil {
		return err
	}
	go func() {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return
		}
		time.Sleep(time.Second) // controllers start their workers after the sync
		fmt.Println("READY")
	}()
	return mgr.Start(ctx)
}

// controlPlaneOfWorkspace maps a Workspace of the writer's namespace to its
// control plane.
func controlPlaneOfWorkspace(namespace string) handler.MapFunc {
	return func(_ context.Context, obj client.Object) []reconcile.Request {
		owner, ok := controlplanev1beta1.ControlPlaneOf(obj.GetLabels())
		if !ok || owner.Namespace != namespace {
			return nil
		}
		return []reconcile.Request{{NamespacedName: owner}}
	}
}

// baseline is a writer of the designs this project replaces: it mirrors on
// every reconcile, with no ownership, no skip and no gap guard.
type baseline struct {
	client client.Client
	reader client.Reader
	kind   string
}

func (b *baseline) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	cp := &controlplanev1beta1.CAPTControlPlane{}
	if err := b.client.Get(ctx, req.NamespacedName, cp); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	ws := &tfv1beta1.Workspace{}
	if err := b.client.Get(ctx, types.NamespacedName{Name: workspaceName(cp.Name)}, ws); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	desired := mirrorOf(ws)
	switch b.kind {
	case writerUpdate:
		return reconcile.Result{}, retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cp.Status.WorkspaceStatus = desired.DeepCopy()
			err := b.client.Status().Update(ctx, cp)
			if err != nil && strings.Contains(err.Error(), "the object has been modified") {
				if getErr := b.reader.Get(ctx, req.NamespacedName, cp); getErr != nil {
					return getErr
				}
			}
			return err
		})
	case writerMerge:
		orig := cp.DeepCopy()
		cp.Status.WorkspaceStatus = desired
		return reconcile.Result{}, b.client.Status().Patch(ctx, cp, client.MergeFrom(orig))
	default:
		ac := cpac.WorkspaceStatus().WithReady(desired.Ready).WithState(desired.State)
		if desired.AtProvider != nil {
			ac.WithAtProvider(*desired.AtProvider)
		}
		return reconcile.Result{}, b.client.Status().Apply(ctx,
			cpac.CAPTControlPlane(cp.Name, cp.Namespace).WithStatus(cpac.CAPTControlPlaneStatus().WithWorkspaceStatus(ac)),
			client.FieldOwner("naive-apply"), client.ForceOwnership)
	}
}

// mirrorOf is the workspaceStatus a baseline writes: a plain copy.
func mirrorOf(ws *tfv1beta1.Workspace) *controlplanev1beta1.WorkspaceStatus {
	out := &controlplanev1beta1.WorkspaceStatus{}
	if c := tfv1beta1.FindCondition(ws.Status.Conditions, tfv1beta1.TypeReady); c != nil {
		out.Ready = c.Status == "True"
		out.State = c.Reason
	}
	raw, _ := json.Marshal(ws.Status.AtProvider)
	out.AtProvider = &runtime.RawExtension{Raw: raw}
	return out
}

// workspaceName is the Workspace of control plane cp, as bin/manager
// renders it (the apply "<cp>-eks-controlplane-apply" without "-apply");
// the baselines use the same name. Each writer's objects are deleted before
// the next writer starts, so names never meet.
func workspaceName(cp string) string { return cp + "-eks-controlplane" }
