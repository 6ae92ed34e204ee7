package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// report prints the figures as markdown (and writes them to -out) and
// tells whether every invariant held.
func (h *harness) report(elapsed time.Duration) (bool, error) {
	closed, permanent := h.check.finish()
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("## Chaos run\n\n")
	p("%s, %d control planes, %v of chaos in segments of %v (%v in all), seed %d; bounds: %v for a window without a fault inside, %v across faults; %s, %d CPUs.\n\n",
		time.Now().UTC().Format("2006-01-02"), h.o.n, h.o.duration, h.o.segment, elapsed.Round(time.Second), h.o.seed, h.o.bound, h.o.faultBound,
		runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU())

	p("### Writes attempted\n\n| writer | accepted | conflict | failed (API server away) |\n|---|---:|---:|---:|\n")
	kinds := append([]string{"workspace change", "workspace gap (empty atProvider)", "workspace re-observation after a gap"}, hostileKinds...)
	total := 0
	for _, k := range kinds {
		c := h.tally.counts[k]
		p("| %s | %d | %d | %d |\n", k, c["accepted"], c["conflict"], c["failed (API server away)"])
		total += c["accepted"] + c["conflict"] + c["failed (API server away)"]
	}
	p("\n%d writes in all.\n\n", total)

	p("### Faults\n\n| fault | count |\n|---|---:|\n")
	for _, k := range []string{"kill the leader", "kill a random replica", "restart kube-apiserver"} {
		p("| %s | %d |\n", k, h.faults[k])
	}
	restarts := 0
	for _, r := range h.replicas {
		restarts += r.starts - 1
		var how []string
		for k, n := range r.exits {
			how = append(how, fmt.Sprintf("%d× %s", n, k))
		}
		sort.Strings(how)
		p("| %s: starts | %d (%s) |\n", r.name, r.starts, strings.Join(how, "; "))
	}
	h.leaders.mu.Lock()
	p("| manager restarts | %d |\n| leader changes (failovers) | %d |\n| longest time without a leader | %v |\n\n",
		restarts, h.leaders.failovers, h.leaders.maxNoLeader.Round(10*time.Millisecond))
	h.leaders.mu.Unlock()

	p("### Loss windows\n\nA window is a time when a control plane's mirrored atProvider is not the latest non-empty atProvider of its Workspace.\n\n")
	p("| cause | count | p50 | p99 | max |\n|---|---:|---:|---:|---:|\n")
	byCause := map[string][]time.Duration{}
	var all []time.Duration
	for _, w := range closed {
		byCause[w.cause] = append(byCause[w.cause], w.duration())
		all = append(all, w.duration())
	}
	causes := make([]string, 0, len(byCause))
	for c := range byCause {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for _, c := range causes {
		p("| %s | %d | %v | %v | %v |\n", c, len(byCause[c]), pct(byCause[c], 50), pct(byCause[c], 99), pct(byCause[c], 100))
	}
	p("| **all** | %d | %v | %v | %v |\n", len(all), pct(all, 50), pct(all, 99), pct(all, 100))
	var calm []time.Duration
	for _, w := range closed {
		if len(w.faults) == 0 {
			calm = append(calm, w.duration())
		}
	}
	p("| all without a fault inside | %d | %v | %v | %v |\n\n", len(calm), pct(calm, 50), pct(calm, 99), pct(calm, 100))
	p("Permanent losses (a window still open at the end): **%d**.\n\n", len(permanent))

	var failures []string
	for _, w := range append(closed, permanent...) {
		bound := h.o.bound
		if len(w.faults) > 0 {
			bound = h.o.faultBound
		}
		if w.duration() > bound {
			failures = append(failures, fmt.Sprintf("window of %s lasted %v > bound %v (cause %s, faults %v)", w.cp, w.duration().Round(time.Millisecond), bound, w.cause, w.faults))
		}
		if w.cause == causeUnattributed {
			failures = append(failures, fmt.Sprintf("window of %s at %v for %v opened by a write no hostile writer made (rv %d, the version seen before it %d; %s; faults %v)",
				w.cp, w.start.Sub(h.start).Round(time.Millisecond), w.duration().Round(time.Millisecond), w.rv, w.after, w.detail, w.faults))
		}
	}
	for _, w := range permanent {
		failures = append(failures, fmt.Sprintf("permanent loss on %s (cause %s)", w.cp, w.cause))
	}
	longest := windowsByLength(append(closed, permanent...))
	if len(longest) > 0 {
		p("Longest windows:\n\n| control plane | start | length | cause | faults inside |\n|---|---:|---:|---|---|\n")
		for _, w := range longest[:min(5, len(longest))] {
			p("| %s | %.1fs | %v | %s | %s |\n", w.cp, w.start.Sub(h.start).Seconds(), w.duration().Round(time.Millisecond), w.cause, strings.Join(w.faults, ", "))
		}
		p("\n")
	}

	p("### Quiet points\n\n| at | converged in | violations |\n|---:|---:|---|\n")
	for _, q := range h.quiet {
		p("| %.1fs | %v | %s |\n", q.at.Seconds(), q.converged.Round(time.Millisecond), orNone(q.violations))
		for _, v := range q.violations {
			failures = append(failures, fmt.Sprintf("quiet point at %.1fs: %s", q.at.Seconds(), v))
		}
	}
	p("\n")
	if len(failures) == 0 {
		p("**Result: every invariant held.**\n")
	} else {
		p("**Result: FAILED**\n\n")
		for _, f := range failures[:min(20, len(failures))] {
			p("- %s\n", f)
		}
	}

	if h.o.windows != "" {
		var tsv strings.Builder
		tsv.WriteString("control_plane\tstart_s\tend_s\tlength_ms\tcause\tfaults\tpermanent\n")
		for _, w := range closed {
			fmt.Fprintf(&tsv, "%s\t%.3f\t%.3f\t%d\t%s\t%s\tfalse\n", w.cp, w.start.Sub(h.start).Seconds(), w.end.Sub(h.start).Seconds(), w.duration().Milliseconds(), w.cause, strings.Join(w.faults, ", "))
		}
		for _, w := range permanent {
			fmt.Fprintf(&tsv, "%s\t%.3f\t%.3f\t%d\t%s\t%s\ttrue\n", w.cp, w.start.Sub(h.start).Seconds(), w.end.Sub(h.start).Seconds(), w.duration().Milliseconds(), w.cause, strings.Join(w.faults, ", "))
		}
		if err := os.WriteFile(h.o.windows, []byte(tsv.String()), 0o644); err != nil {
			return false, err
		}
		p("Every window: `%s`.\n", h.o.windows)
	}
	fmt.Print(b.String())
	if h.o.out != "" {
		if err := os.WriteFile(h.o.out, []byte(b.String()), 0o644); err != nil {
			return false, err
		}
	}
	return len(failures) == 0, nil
}

func windowsByLength(ws []window) []window {
	out := append([]window(nil), ws...)
	sort.Slice(out, func(i, j int) bool { return out[i].duration() > out[j].duration() })
	return out
}

func pct(ds []time.Duration, p int) time.Duration {
	return testenv.Percentile(ds, p).Round(time.Millisecond)
}

func orNone(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d: %s", len(v), strings.Join(v[:min(3, len(v))], "; "))
}
