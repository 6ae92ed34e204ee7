package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	controlplanev1beta1 "github.com/capt-controlplane/capt-controlplane/apis/controlplane/v1beta1"
	"github.com/capt-controlplane/capt-controlplane/controllers/workspacestatus"
	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// Causes of a loss window.
const (
	// causePropagation: the Workspace changed and the mirror had not caught
	// up yet (the lag every mirror has).
	causePropagation = "workspace change (propagation)"
	// causeUnattributed: the mirror went wrong on a write that no hostile
	// writer made: a defect of the controller.
	causeUnattributed = "unattributed write"
)

// faultRecovery is how long after a fault a window still counts as caused
// by it: the 4 s lease, a restart, the API server coming back, cache sync.
const faultRecovery = 15 * time.Second

// window is a time during which a control plane's mirror was not the latest
// non-empty atProvider of its Workspace.
type window struct {
	cp         string
	start, end time.Time
	cause      string
	rv         int64 // the control plane version that opened it, to attribute later
	// after is the version observed before it: a watch that resumes after
	// an API server restart may skip versions, so the write that opened
	// the window is any one in (after, rv].
	after  int64
	detail string // what the checker saw when it opened
	faults []string
}

func (w window) duration() time.Duration { return w.end.Sub(w.start) }

// checker holds what the harness knows to be true (the Workspace values it
// wrote) and what the watch shows (the mirrors), and keeps the windows when
// the two disagree.
type checker struct {
	mu      sync.Mutex
	latest  map[string]string          // control plane → latest non-empty atProvider written (canonical JSON)
	sending map[string]map[string]bool // values being written: the mirror may show them before the write returns
	mirror  map[string]string          // control plane → mirrored atProvider ("" when missing)
	seen    map[string]int64           // control plane → newest resourceVersion observed
	open    map[string]*window
	closed  []window
	hostile map[string][]hostileWrite // control plane → the versions hostile writes made
	lost    []lostWrite               // hostile writes whose answer never came (API server stopped mid-request)
	faults  []fault
}

type hostileWrite struct {
	rv   int64
	kind string
}

type lostWrite struct {
	cp, kind string
	at       time.Time // when it was sent
}

type fault struct {
	at   time.Time
	what string
}

func newChecker() *checker {
	return &checker{
		latest: map[string]string{}, sending: map[string]map[string]bool{}, mirror: map[string]string{}, seen: map[string]int64{},
		open: map[string]*window{}, hostile: map[string][]hostileWrite{},
	}
}

// sendingWorkspace is called before a Workspace write of value.
func (c *checker) sendingWorkspace(cp, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sending[cp] == nil {
		c.sending[cp] = map[string]bool{}
	}
	c.sending[cp][value] = true
}

// wroteWorkspace is called after the write of sent ("" for a gap): holds
// is the Workspace's atProvider now, "" when empty.
func (c *checker) wroteWorkspace(cp, sent, holds string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sending[cp], sent)
	if holds != "" && holds != c.latest[cp] {
		c.latest[cp] = holds
		c.evaluate(cp, causePropagation, 0, 0)
	}
}

// wroteHostile records the version a hostile write of cp produced.
func (c *checker) wroteHostile(cp, rv, kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, _ := strconv.ParseInt(rv, 10, 64)
	c.hostile[cp] = append(c.hostile[cp], hostileWrite{v, kind})
}

// lostHostile records a hostile write, sent at sentAt, whose outcome is
// unknown: it may have been stored before the API server went away. Its
// answer can come back after the watch showed its effect (the request
// waits out the restart), so it is known by when it was sent.
func (c *checker) lostHostile(cp, kind string, sentAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lost = append(c.lost, lostWrite{cp, kind, sentAt})
}

func (c *checker) fault(what string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, fault{time.Now(), what})
}

// mirroredValue is a control plane's mirrored atProvider as the checker
// compares it: canonical JSON, "" when missing.
func mirroredValue(cp *controlplanev1beta1.CAPTControlPlane) string {
	if ws := cp.Status.WorkspaceStatus; ws != nil && ws.AtProvider != nil {
		return canonical(ws.AtProvider.Raw)
	}
	return ""
}

// latestOf is the latest non-empty atProvider written to cp's Workspace.
func (c *checker) latestOf(cp string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest[cp]
}

// observed is called for every control plane the watch delivers.
func (c *checker) observed(cp *controlplanev1beta1.CAPTControlPlane) {
	value := mirroredValue(cp)
	c.mu.Lock()
	defer c.mu.Unlock()
	// A list at a quiet point can be newer than the watch's next event;
	// never go back. (resourceVersions are etcd revisions here.)
	rv, _ := strconv.ParseInt(cp.ResourceVersion, 10, 64)
	after := c.seen[cp.Name]
	if rv < after {
		return
	}
	c.seen[cp.Name] = rv
	c.mirror[cp.Name] = value
	if c.evaluate(cp.Name, "", rv, after) {
		var managers []string
		for _, e := range cp.ManagedFields {
			at := "-"
			if e.Time != nil {
				at = e.Time.Format("15:04:05")
			}
			managers = append(managers, fmt.Sprintf("%s/%s/%s@%s", e.Manager, e.Operation, e.Subresource, at))
		}
		c.open[cp.Name].detail = fmt.Sprintf("mirror %q, latest %q, managers %v", checksumOf(value), checksumOf(c.latest[cp.Name]), managers)
	}
}

// evaluate opens or closes the window of cp, and reports whether it opened
// one. Called with mu held.
func (c *checker) evaluate(cp, cause string, rv, after int64) bool {
	latest, known := c.latest[cp]
	mirror := c.mirror[cp]
	ok := !known || mirror == latest || c.sending[cp][mirror]
	w := c.open[cp]
	switch {
	case !ok && w == nil:
		c.open[cp] = &window{cp: cp, start: time.Now(), cause: cause, rv: rv, after: after}
		return true
	case ok && w != nil:
		w.end = time.Now()
		c.closed = append(c.closed, *w)
		delete(c.open, cp)
	}
	return false
}

// converged reports whether no window is open, and how many are.
func (c *checker) converged() (bool, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.open) == 0, len(c.open)
}

// finish closes the books: open windows are permanent losses; causes are
// attributed and faults listed. Call once writers and watches are done.
func (c *checker) finish() (closed, permanent []window) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for _, w := range c.open {
		w.end = now
		permanent = append(permanent, c.attribute(*w))
	}
	for _, w := range c.closed {
		closed = append(closed, c.attribute(w))
	}
	sort.Slice(closed, func(i, j int) bool { return closed[i].start.Before(closed[j].start) })
	return closed, permanent
}

func (c *checker) attribute(w window) window {
	if w.cause == "" {
		if kind, ok := c.hostileWithin(w); ok {
			w.cause = "hostile: " + kind
		} else {
			w.cause = causeUnattributed
			for _, l := range c.lost {
				if l.cp == w.cp && !l.at.Before(w.start.Add(-faultRecovery)) && !l.at.After(w.start) {
					w.cause = "hostile: " + l.kind + " (answer lost)"
				}
			}
		}
	}
	for _, f := range c.faults {
		// A fault counts for the windows that start while the managers
		// recover from it: lease expiry, restart, cache sync.
		if !f.at.Before(w.start.Add(-faultRecovery)) && !f.at.After(w.end) {
			w.faults = append(w.faults, f.what)
		}
	}
	return w
}

// hostileWithin finds the latest hostile write of the window's control
// plane among the versions that may have opened it. Called with mu held.
func (c *checker) hostileWithin(w window) (string, bool) {
	kind, found := "", false
	for _, h := range c.hostile[w.cp] {
		if h.rv > w.after && h.rv <= w.rv {
			kind, found = h.kind, true
		}
	}
	return kind, found
}

// ownership checks that capt-workspace-status alone owns workspaceStatus,
// with exactly its three fields, through an Apply on /status.
func ownership(cp *controlplanev1beta1.CAPTControlPlane) error {
	want := canonical([]byte(testenv.WorkspaceStatusFields))
	found := 0
	for _, e := range cp.ManagedFields {
		if e.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		_ = json.Unmarshal(e.FieldsV1.GetRawBytes(), &fields)
		if _, has := fields["f:status"]["f:workspaceStatus"]; !has {
			continue
		}
		if e.Manager != workspacestatus.FieldManager {
			return fmt.Errorf("%s: %s (%s) owns part of status.workspaceStatus: %s", cp.Name, e.Manager, e.Operation, e.FieldsV1.GetRawBytes())
		}
		if e.Operation != metav1.ManagedFieldsOperationApply || e.Subresource != "status" || canonical(e.FieldsV1.GetRawBytes()) != want {
			return fmt.Errorf("%s: the entry of %s is %s/%s %s", cp.Name, e.Manager, e.Operation, e.Subresource, e.FieldsV1.GetRawBytes())
		}
		found++
	}
	if found != 1 {
		return fmt.Errorf("%s: %d entries of %s own status.workspaceStatus, want 1", cp.Name, found, workspacestatus.FieldManager)
	}
	return nil
}

// canonical is JSON with sorted keys and one spelling per number.
func canonical(raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "invalid:" + string(raw)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
