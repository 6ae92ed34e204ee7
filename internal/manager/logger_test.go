package manager

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	uberzap "go.uber.org/zap"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// countingSink counts the WithValues calls that reach it.
type countingSink struct {
	logr.LogSink
	withValues *int
}

func (s countingSink) WithValues(kv ...any) logr.LogSink {
	*s.withValues++
	return countingSink{LogSink: s.LogSink.WithValues(kv...), withValues: s.withValues}
}

func (s countingSink) WithName(name string) logr.LogSink {
	return countingSink{LogSink: s.LogSink.WithName(name), withValues: s.withValues}
}

func TestLoggerEncodesValuesOnlyForALine(t *testing.T) {
	calls := 0
	log := logr.New(&lazyValues{sink: countingSink{LogSink: zap.New(zap.WriteTo(io.Discard)).GetSink(), withValues: &calls}})
	reconcile := log.WithName("controlplane").WithValues("namespace", "ns", "name", "cp").WithValues("reconcileID", "r1")
	reconcile.V(5).Info("not written")
	if calls != 0 {
		t.Fatalf("values reached zap %d times before a line was written", calls)
	}
	reconcile.Info("written")
	if calls != 1 {
		t.Errorf("one written line, %d WithValues", calls)
	}
}

func TestLoggerWritesValuesAndCaller(t *testing.T) {
	var buf bytes.Buffer
	log := lazy(zap.New(zap.WriteTo(&buf), zap.RawZapOpts(uberzap.AddCaller())))
	log.WithName("controlplane").WithValues("namespace", "ns", "name", "cp").WithValues("reconcileID", "r1").
		Error(errors.New("boom"), "reconcile failed", "attempt", 2)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %q", err, buf.String())
	}
	want := map[string]any{"logger": "controlplane", "namespace": "ns", "name": "cp", "reconcileID": "r1", "attempt": float64(2), "error": "boom", "msg": "reconcile failed"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v (line %q)", k, line[k], v, buf.String())
		}
	}
	if caller, _ := line["caller"].(string); !strings.HasPrefix(caller, "manager/logger_test.go:") {
		t.Errorf("caller %q: the line is not attributed to its caller", line["caller"])
	}
}
