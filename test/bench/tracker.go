package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
)

// tracker watches the control planes of one namespace and measures, for
// every Workspace change, when its observation shows up in the mirror; and
// every loss: a version whose atProvider is missing or older than one
// already mirrored, until a current one is back.
type tracker struct {
	mu       sync.Mutex
	w        watch.Interface
	pending  map[string]map[int]time.Time // control plane → seq → change time
	mirrored map[string]int               // highest seq seen mirrored
	lossFrom map[string]time.Time         // open loss windows
	// lastHostile is the kind of the last hostile write to each control
	// plane: a window that opens is put down to it.
	lastHostile map[string]string
	lossCause   map[string]string // of the open windows
	phaseStart  time.Time
	phase       phaseResult
	// lost reports the writer under test gone: no wait outlasts it.
	lost func() error
}

type phaseResult struct {
	latencies []time.Duration
	losses    int
	lossTime  time.Duration
	maxLoss   time.Duration
	windows   []lossWindow // closed windows; those still open at the end are not here
}

// lossWindow is one loss: when it began (since the phase began), how long
// it lasted and the hostile write it is put down to ("" if none).
type lossWindow struct {
	at, length time.Duration
	cause      string
}

func newTracker(ctx context.Context, c client.WithWatch, ns string) (*tracker, error) {
	w, err := c.Watch(ctx, &controlplanev1beta1.CAPTControlPlaneList{}, client.InNamespace(ns))
	if err != nil {
		return nil, err
	}
	t := &tracker{w: w, pending: map[string]map[int]time.Time{}, mirrored: map[string]int{}, lossFrom: map[string]time.Time{},
		lastHostile: map[string]string{}, lossCause: map[string]string{}, phaseStart: time.Now(), lost: func() error { return nil }}
	go func() {
		for ev := range w.ResultChan() {
			if cp, ok := ev.Object.(*controlplanev1beta1.CAPTControlPlane); ok && ev.Type != watch.Deleted {
				t.observe(cp, time.Now())
			}
		}
	}()
	return t, nil
}

func (t *tracker) stop() { t.w.Stop() }

// expect records that the Workspace of cp got observation seq at time at.
func (t *tracker) expect(cp string, seq int, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[cp] == nil {
		t.pending[cp] = map[int]time.Time{}
	}
	t.pending[cp][seq] = at
}

// mirroredSeq is the observation sequence a control plane mirrors, -1 when
// it mirrors none.
func mirroredSeq(cp *controlplanev1beta1.CAPTControlPlane) int {
	ws := cp.Status.WorkspaceStatus
	if ws == nil || ws.AtProvider == nil {
		return -1
	}
	var v struct {
		Checksum string `json:"checksum"`
	}
	if json.Unmarshal(ws.AtProvider.Raw, &v) != nil {
		return -1
	}
	seq, err := strconv.Atoi(strings.TrimPrefix(v.Checksum, "s-"))
	if err != nil {
		return -1
	}
	return seq
}

// hostile records a hostile write of kind to cp, about to be sent.
func (t *tracker) hostile(cp, kind string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lastHostile[cp] = kind
}

func (t *tracker) observe(cp *controlplanev1beta1.CAPTControlPlane, now time.Time) {
	seq := mirroredSeq(cp)
	t.mu.Lock()
	defer t.mu.Unlock()
	best := t.mirrored[cp.Name]
	if seq < best {
		if best > 0 {
			if _, open := t.lossFrom[cp.Name]; !open {
				t.lossFrom[cp.Name] = now
				t.lossCause[cp.Name] = t.lastHostile[cp.Name]
				t.phase.losses++
			}
		}
		return
	}
	if from, open := t.lossFrom[cp.Name]; open {
		d := now.Sub(from)
		t.phase.lossTime += d
		t.phase.maxLoss = max(t.phase.maxLoss, d)
		t.phase.windows = append(t.phase.windows, lossWindow{at: from.Sub(t.phaseStart), length: d, cause: t.lossCause[cp.Name]})
		delete(t.lossFrom, cp.Name)
	}
	t.mirrored[cp.Name] = seq
	for s, at := range t.pending[cp.Name] {
		if s <= seq {
			// Changes superseded before they were mirrored are not counted.
			if s == seq {
				t.phase.latencies = append(t.phase.latencies, now.Sub(at))
			}
			delete(t.pending[cp.Name], s)
		}
	}
}

// waitMirrored waits until every control plane mirrors its latest seq.
func (t *tracker) waitMirrored(n int, seq []int, timeout time.Duration) error {
	behind := t.waitBehind(n, seq, timeout)
	if err := t.lost(); err != nil {
		return err
	}
	if behind > 0 {
		return fmt.Errorf("%d of %d control planes did not mirror their Workspace within %s", behind, n, timeout)
	}
	return nil
}

// waitBehind waits until every control plane mirrors its latest seq, or
// until timeout or the writer is gone, and returns how many do not.
func (t *tracker) waitBehind(n int, seq []int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		t.mu.Lock()
		behind := 0
		for i := range n {
			_, lost := t.lossFrom[cpName(i)]
			if t.mirrored[cpName(i)] < seq[i] || lost {
				behind++
			}
		}
		t.mu.Unlock()
		if behind == 0 || time.Now().After(deadline) || t.lost() != nil {
			return behind
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resetPhase closes the phase: open loss windows count up to now.
func (t *tracker) resetPhase() phaseResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	for name, from := range t.lossFrom {
		d := now.Sub(from)
		t.phase.lossTime += d
		t.phase.maxLoss = max(t.phase.maxLoss, d)
		t.lossFrom[name] = now
	}
	p := t.phase
	t.phase = phaseResult{}
	t.phaseStart = now
	clear(t.lastHostile)
	return p
}
