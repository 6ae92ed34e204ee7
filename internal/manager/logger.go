package manager

import (
	"slices"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// NewLogger is bin/manager's logger: zap with the --zap-* flags, whose
// key/value pairs are encoded when a line is written rather than when they
// are added. controller-runtime adds the control plane's name, namespace and
// a reconcile ID to a new logger for every reconcile; zap would encode them
// into a fresh buffer each time, for reconciles that mostly write no line.
func NewLogger(o Options) logr.Logger {
	return lazy(zap.New(zap.UseFlagOptions(&o.Zap)))
}

// lazy wraps l's sink, already initialised by l, one frame deeper: the
// frame of lazyValues between the caller and it.
func lazy(l logr.Logger) logr.Logger {
	sink := l.GetSink()
	if withDepth, ok := sink.(logr.CallDepthLogSink); ok {
		sink = withDepth.WithCallDepth(1)
	}
	return logr.New(&lazyValues{sink: sink})
}

// lazyValues keeps the values added with WithValues and hands them to the
// underlying sink only with a line to write.
type lazyValues struct {
	sink   logr.LogSink
	values []any
}

var _ logr.CallDepthLogSink = &lazyValues{}

// Init does nothing: the underlying sink was initialised by its own
// logger, and lazy accounts for the one frame lazyValues adds.
func (l *lazyValues) Init(logr.RuntimeInfo) {}

func (l *lazyValues) Enabled(level int) bool { return l.sink.Enabled(level) }

func (l *lazyValues) Info(level int, msg string, keysAndValues ...any) {
	l.withValues().Info(level, msg, keysAndValues...)
}

func (l *lazyValues) Error(err error, msg string, keysAndValues ...any) {
	l.withValues().Error(err, msg, keysAndValues...)
}

func (l *lazyValues) withValues() logr.LogSink {
	if len(l.values) == 0 {
		return l.sink
	}
	return l.sink.WithValues(l.values...)
}

func (l *lazyValues) WithValues(keysAndValues ...any) logr.LogSink {
	return &lazyValues{sink: l.sink, values: append(slices.Clip(l.values), keysAndValues...)}
}

func (l *lazyValues) WithName(name string) logr.LogSink {
	return &lazyValues{sink: l.sink.WithName(name), values: l.values}
}

func (l *lazyValues) WithCallDepth(depth int) logr.LogSink {
	sink := l.sink
	if withDepth, ok := sink.(logr.CallDepthLogSink); ok {
		sink = withDepth.WithCallDepth(depth)
	}
	return &lazyValues{sink: sink, values: l.values}
}
