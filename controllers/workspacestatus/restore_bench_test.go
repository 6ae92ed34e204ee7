package workspacestatus

import (
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// BenchmarkRestoreAfterHostileUpdate measures the time from a stale full
// status update that drops workspaceStatus (its response) to the watch event
// that shows the mirror restored. The baseline, measured in the same run, is
// the floor of any repair: from a status update's response to the watch event
// of that same update. Run with -benchtime=100x for 100 trials.
func BenchmarkRestoreAfterHostileUpdate(b *testing.B) {
	g := NewWithT(b)
	at := atProviderJSON("c1", endpointOutputs)
	benchRuns++ // the benchmark function runs once per b.N tried
	f := newFixture(b, fmt.Sprintf("bench-restore-%d", benchRuns), at)
	f.waitMirror(b, true, "Available", at)
	wc, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
	g.Expect(err).NotTo(HaveOccurred())

	// watchUntil opens a watch after resourceVersion rv and returns how long
	// after start the first version satisfying done arrived.
	watchUntil := func(rv string, start func() time.Time, done func(*controlplanev1beta1.CAPTControlPlane) bool) time.Duration {
		w, err := wc.Watch(b.Context(), &controlplanev1beta1.CAPTControlPlaneList{}, client.InNamespace(ns),
			client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", f.cp.Name)},
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})
		g.Expect(err).NotTo(HaveOccurred())
		defer w.Stop()
		t0 := start()
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		for {
			select {
			case ev := <-w.ResultChan():
				if ev.Type == watch.Modified && done(ev.Object.(*controlplanev1beta1.CAPTControlPlane)) {
					return time.Since(t0)
				}
			case <-timer.C:
				b.Fatalf("no matching watch event within %s", timeout)
			}
		}
	}

	var restore, baseline []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cp := f.get(b)
		restore = append(restore, watchUntil(cp.ResourceVersion, func() time.Time {
			cp.Status.WorkspaceStatus = nil
			g.Expect(env.Client.Status().Update(b.Context(), cp, client.FieldOwner("stale-writer"))).To(Succeed())
			return time.Now()
		}, func(got *controlplanev1beta1.CAPTControlPlane) bool { return got.Status.WorkspaceStatus != nil }))

		cp = f.get(b)
		baseline = append(baseline, watchUntil(cp.ResourceVersion, func() time.Time {
			cp.Status.FailureMessage = "baseline " + time.Now().String()
			g.Expect(env.Client.Status().Update(b.Context(), cp, client.FieldOwner("baseline-writer"))).To(Succeed())
			return time.Now()
		}, func(got *controlplanev1beta1.CAPTControlPlane) bool {
			return got.Status.FailureMessage == cp.Status.FailureMessage
		}))
	}
	b.StopTimer()

	p50, p99 := testenv.Percentile(restore, 50), testenv.Percentile(restore, 99)
	b50, b99 := testenv.Percentile(baseline, 50), testenv.Percentile(baseline, 99)
	b.ReportMetric(float64(p50.Microseconds())/1000, "restore-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "restore-p99-ms")
	b.ReportMetric(float64(b50.Microseconds())/1000, "baseline-p50-ms")
	b.ReportMetric(float64(b99.Microseconds())/1000, "baseline-p99-ms")
	b.ReportMetric(float64(p50)/float64(b50), "p50-ratio")
	b.ReportMetric(float64(p99)/float64(b99), "p99-ratio")
}

var benchRuns int
