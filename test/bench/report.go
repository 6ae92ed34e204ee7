package main

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

func verbs(c counters) string {
	keys := make([]string, 0, len(c.verbs))
	for k := range c.verbs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, c.verbs[k]))
	}
	return strings.Join(parts, ", ")
}

// commit is the commit of the working tree, "-dirty" when it has changes:
// read when the run starts, since bin/manager was built from it.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(status) > 0 {
		rev += "-dirty"
	}
	return rev
}

func machine() string {
	cpu := "unknown CPU"
	if out, err := exec.Command("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").Output(); err == nil && len(out) > 0 {
		cpu = strings.TrimSpace(string(out))
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", cpu, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func renderReport(o options, rev string, results []measurement, ceils map[int]ceilings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks: writers of status.workspaceStatus\n\n")
	fmt.Fprintf(&b, "Measured %s at commit %s on %s, against kube-apiserver v1.37.2 and etcd v3.6.16 built from source (bin/k8s), all on one machine.\n\n",
		time.Now().UTC().Format("2006-01-02"), rev, machine())
	fmt.Fprintf(&b, "Reproduce: `go run ./test/bench %s` (this run's own flags; the defaults are in `go run ./test/bench -h`).\n\n", commandLine())
	fmt.Fprintf(&b, "Writers: **A** get + full `Status().Update` with retry on conflict (the original controller); **B** `MergeFrom` patch (CAPTEP-0040); "+
		"**C** `Status().Apply` on every reconcile; **D** `bin/manager` as shipped: all four controllers with the Deployment's flags (leader election on), "+
		"on the real flow (a WorkspaceTemplate, the WorkspaceTemplateApplies and Workspaces the manager renders), so its figures are the whole manager's. "+
		"Each runs in its own process on fresh objects; every request it sends is counted in a proxy in front of it (D's lease renewals, one per 2 s retry period, are left out of every figure), "+
		"CPU and peak RSS read from /proc. Latency: from the Workspace status write to the watch event that "+
		"shows it mirrored. Loss: a version whose atProvider is missing or older than one already mirrored, until a current one is back. "+
		"Workloads: 1 create N control planes and Workspaces (atProvider ≈ %d B, ten outputs, nested); 2 five resync periods (%s each) with no change; "+
		"2b the writer restarts with the resync period it has in a cluster (%s, controller-runtime's and bin/manager's default), which it keeps from then on (its figures: until each resynced controller of the new process has reconciled every control plane once, its first sweep, and then gone 2 s without a write); "+
		"3 churn at %g changes/s for %s; 4 the same churn while another writer sends plain full-status updates of other fields at %g/s; "+
		"5 four harness goroutines change Workspaces as fast as they can for %s (every change is itself a status write the API server must take); 6 the writer process is stopped (SIGSTOP), every Workspace changes once, and the clock runs from SIGCONT until all are mirrored: the writer's own throughput (its latencies include the stop); "+
		"7 hostile writers: for %s, the churn of 3 plus a seeded stream (seed %d, the same for every writer) of %g hostile writes/s, each one of: "+
		"a stale full status update (the status read when the workload began, written back whole with Status().Update), an older client without the field "+
		"(workspaceStatus removed from an unstructured copy, Status().Update), a merge patch to null, a Workspace gap (empty atProvider, not ready, "+
		"then the same state %s later); then %s to settle, after which a control plane not mirroring its Workspace's latest observation is a permanent loss.\n\n",
		o.outputBytes, o.resync, o.runResync, o.churnRate, o.churn, o.contention, o.saturation,
		o.hostileFor, o.seed, o.hostileRate, gapLength, hostileSettle)
	fmt.Fprintf(&b, "Ceilings, at each N (N control planes and N Workspaces in the cluster): the status applies per second the API server accepts from a tight loop of %d workers for %s; "+
		"**raw** from the harness with no watch, **fair** from a process that watches control planes and Workspaces with bin/manager's cache configuration "+
		"(so every apply comes back as a watch event it decodes, as a controller's do) behind the same proxy as the writers. The drain is compared with the fair one, "+
		"and D's also with the fair ceiling measured again on D's own control planes once its workloads are done (bin/manager stopped): the objects its drain applies to, with the product's full status.\n\n",
		o.ceilingWorkers, o.ceilingFor)

	headlineN := o.sizes[len(o.sizes)-1]
	if slices.Contains(o.sizes, 1000) {
		headlineN = 1000
	}
	fmt.Fprintf(&b, "## Headline, N = %d\n\n%s\n", headlineN, headline(o.at(headlineN), results, headlineN))
	b.WriteString(scale(o, results))
	for _, n := range o.sizes {
		fmt.Fprintf(&b, "## N = %d\n\n", n)
		if at := o.at(n); at.resync != o.resync || at.churn != o.churn {
			fmt.Fprintf(&b, "At this N the resync period is %s (steady state %s) and the churn lasts %s.\n\n", at.resync, 5*at.resync, at.churn)
		}
		fmt.Fprintf(&b, "| writer | workload | changes | requests by verb | writes | request KiB | KiB/change | p50 ms | p99 ms | losses | loss ms (max) | CPU s | peak RSS MiB |\n")
		fmt.Fprintf(&b, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, m := range results {
			if m.n != n {
				continue
			}
			perChange := "-"
			if m.changes > 0 {
				perChange = fmt.Sprintf("%.2f", float64(m.requests.bytes)/1024/float64(m.changes))
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | %.0f | %s | %s | %s | %d | %s (%s) | %.2f | %.0f |\n",
				m.writer, m.workload, m.changes, verbs(m.requests), m.requests.writes, float64(m.requests.bytes)/1024, perChange,
				ms(testenv.Percentile(m.latencies, 50)), ms(testenv.Percentile(m.latencies, 99)), m.losses, ms(m.lossTime), ms(m.maxLoss),
				m.cpu.Seconds(), float64(m.peakRSS)/(1<<20))
		}
		b.WriteString("\n")
		b.WriteString(hostileSection(o.at(n), results, n))
		b.WriteString(targets(results, n, ceils[n]))
	}
	return b.String()
}

// targets checks D against the targets, from the same run.
func targets(results []measurement, n int, ceil ceilings) string {
	find := func(writer, wl string) *measurement { return workloadsOf(results, writer, n)[wl] }
	d, a := find(writerOurs, wlChurn), find(writerUpdate, wlChurn)
	steady, contention, saturated, drain := find(writerOurs, wlSteady), find(writerOurs, wlContention), find(writerOurs, wlSaturated), find(writerOurs, wlDrain)
	if d == nil || steady == nil || contention == nil || saturated == nil || drain == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Targets for D (N = %d):\n\n", n)
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	if initial := find(writerOurs, wlInitial); initial != nil {
		fmt.Fprintf(&b, "- D's writes during initial convergence: %.1f per control plane, by verb, resource and field manager:\n%s",
			float64(initial.requests.writes)/float64(n), indent(testenv.FormatCounts(initial.requests.byKey)))
	}
	fmt.Fprintf(&b, "- writes in steady state (%s, every controller, every kind): %d (target 0): %s\n", wlSteady, steady.requests.writes, check(steady.requests.writes == 0))
	if steady.requests.writes > 0 {
		fmt.Fprintf(&b, "%s", indent(testenv.FormatCounts(steady.requests.byKey)))
	}
	fmt.Fprintf(&b, "- writes per Workspace change (churn): %d writes / %d changes = %.2f (%d mirrored; changes superseded before their reconcile coalesce; target 1.0): %s\n",
		d.requests.writes, d.changes, float64(d.requests.writes)/float64(max(d.changes, 1)), d.mirrored, check(d.requests.writes <= int64(d.changes)))
	fmt.Fprintf(&b, "  - D's writes during churn, by verb, resource and field manager:\n%s", indent(testenv.FormatCounts(d.requests.byKey)))
	fmt.Fprintf(&b, "  - D's reconciles during churn, by controller: %s\n", reconcilesPerChange(d.reconciles, d.changes))
	if d.standby != nil {
		fmt.Fprintf(&b, "- standby replica during the churn (target: no reconcile, no write): %s; the leader's CPU %.2f s: %s\n",
			d.standby, d.cpu.Seconds(), check(d.standby.writes() == 0 && d.standby.reconciles == 0))
	}
	fmt.Fprintf(&b, "- atProvider losses under contention: %d (target 0): %s\n", contention.losses, check(contention.losses == 0))
	if a != nil { // a run of some writers only (-writers) has no baseline
		ratio := (float64(d.requests.bytes) / float64(max(d.changes, 1))) / (float64(a.requests.bytes) / float64(max(a.changes, 1)))
		fmt.Fprintf(&b, "- request bytes per change D/A: %.2f (target ≤ 0.33): %s\n", ratio, check(ratio <= 1.0/3))
		p99d, p99a := testenv.Percentile(d.latencies, 99), testenv.Percentile(a.latencies, 99)
		fmt.Fprintf(&b, "- p99 change-to-mirror D/A: %s / %s ms = %.2f (target ≤ 1): %s\n", ms(p99d), ms(p99a), float64(p99d)/float64(max(p99a, 1)), check(p99d <= p99a))
		fmt.Fprintf(&b, "- writer CPU per change (churn), D / A: %.2f / %.2f ms = %.2f (target for D ≤ 0.5 ms): %s\n",
			cpuPerChange(*d), cpuPerChange(*a), cpuPerChange(*d)/max(cpuPerChange(*a), 1e-9), check(cpuPerChange(*d) <= 0.5))
		rssD, rssA := peakRSS(results, writerOurs, n), peakRSS(results, writerUpdate, n)
		fmt.Fprintf(&b, "- writer peak RSS, D / A: %.0f / %.0f MiB = %.2f (target ≤ 1): %s\n", mib(rssD), mib(rssA), float64(rssD)/float64(max(rssA, 1)), check(rssD <= rssA))
	}
	if h := find(writerOurs, wlHostile); h != nil {
		p99 := testenv.Percentile(windowLengths(h.windows), 99)
		fmt.Fprintf(&b, "- workload 7: %d permanent losses (target 0): %s; p99 loss window %s ms (target ≤ 100): %s\n",
			h.permanent, check(h.permanent == 0), ms(p99), check(p99 <= 100*time.Millisecond))
		fewest, others := true, []string{}
		for _, w := range writers {
			if o := find(w, wlHostile); o != nil && w != writerOurs {
				fewest = fewest && len(h.windows) < len(o.windows)
				others = append(others, fmt.Sprintf("%s %d", w, len(o.windows)))
			}
		}
		if len(others) > 0 {
			fmt.Fprintf(&b, "- workload 7 loss windows: D %d; %s (target: fewer than every other writer): %s\n", len(h.windows), strings.Join(others, ", "), check(fewest))
		}
	}
	drained := float64(drain.mirrored) / drain.duration.Seconds()
	fmt.Fprintf(&b, "- backlog drain: %d changes mirrored in %.1f s = %.0f/s = %.0f%% of the %.0f/s fair ceiling (target ≥ 90%%): %s; the raw ceiling is %.0f/s (%d writes)\n",
		drain.mirrored, drain.duration.Seconds(), drained, 100*drained/ceil.fair.rate, ceil.fair.rate, check(drained >= 0.9*ceil.fair.rate), ceil.raw.rate, drain.requests.writes)
	fmt.Fprintf(&b, "  - where the CPU went, ms per write: drain %s (machine %.0f%% busy); fair ceiling %s (machine %.0f%% busy); raw ceiling %s (machine %.0f%% busy)\n",
		perApply(drain.cpuByProcess, drain.requests.writes), 100*drain.machineBusy, perApply(ceil.fair.cpu, int64(ceil.fair.applies)), 100*ceil.fair.busy,
		perApply(ceil.raw.cpu, int64(ceil.raw.applies)), 100*ceil.raw.busy)
	if own := drain.ownCeiling; own != nil {
		fmt.Fprintf(&b, "  - the fair ceiling on D's own control planes (measured after workload 7 with bin/manager stopped, on the objects it converged): %.0f/s, %s ms per apply (machine %.0f%% busy); the drain is %.0f%% of it (target ≥ 90%%): %s\n",
			own.rate, perApply(own.cpu, int64(own.applies)), 100*own.busy, 100*drained/own.rate, check(drained >= 0.9*own.rate))
	}
	applied := float64(saturated.requests.writes) / saturated.duration.Seconds()
	fmt.Fprintf(&b, "- saturated churn (for comparison; the offered load is the limit): %.0f Workspace changes/s offered, %.0f writes/s sent, all latest values mirrored\n\n",
		float64(saturated.changes)/saturated.duration.Seconds(), applied)
	return b.String()
}

// workloadsOf indexes one writer's measurements at N by workload.
func workloadsOf(results []measurement, writer string, n int) map[string]*measurement {
	out := map[string]*measurement{}
	for i := range results {
		if m := &results[i]; m.n == n && m.writer == writer {
			out[m.workload] = m
		}
	}
	return out
}

// scale shows how each writer's figures grow with N.
func scale(o options, results []measurement) string {
	var b strings.Builder
	b.WriteString("## How the figures grow with N\n\n")
	b.WriteString("| writer | N | initial convergence s | writes in 5 idle resyncs | CPU ms per change (churn) | kube-apiserver CPU ms per change (churn) | peak RSS MiB |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
	for _, w := range writers {
		for _, n := range o.sizes {
			of := workloadsOf(results, w, n)
			initial, steady, churn := of[wlInitial], of[wlSteady], of[wlChurn]
			if initial == nil || steady == nil || churn == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %.1f | %d | %.2f | %.2f | %.0f |\n", w, n, initial.duration.Seconds(), steady.requests.writes,
				cpuPerChange(*churn), 1000*churn.apiServerCPU.Seconds()/float64(max(churn.changes, 1)), mib(peakRSS(results, w, n)))
		}
	}
	b.WriteString("\n")
	return b.String()
}

// headline is one row per writer at N: the figures the README shows.
func headline(o options, results []measurement, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| writer | writes in 5 idle resyncs (%s) | writes on a restart | writes per change (churn %g/s) | request KiB per change | p50 / p99 change→mirror ms | CPU ms per change | peak RSS MiB | hostile writers: loss windows, p99 ms, permanent losses |\n",
		o.resync, o.churnRate)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	names := map[string]string{
		writerUpdate: "A full `Status().Update` (original)", writerMerge: "B `MergeFrom` patch (CAPTEP-0040)",
		writerApply: "C `Status().Apply` every reconcile", writerOurs: "**D `bin/manager` (this project, whole manager)**",
		writerOursNamespaced: "E `bin/manager`, namespaced Workspaces",
	}
	for _, w := range writers {
		of := workloadsOf(results, w, n)
		steady, restart, churn, hostile := of[wlSteady], of[wlRestart], of[wlChurn], of[wlHostile]
		if steady == nil || restart == nil || churn == nil || hostile == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f | %s / %s | %.2f | %.0f | %d, %s, %d |\n",
			cmp.Or(names[w], w+" (variant)"), steady.requests.writes, restart.requests.writes,
			float64(churn.requests.writes)/float64(max(churn.changes, 1)), float64(churn.requests.bytes)/1024/float64(max(churn.changes, 1)),
			ms(testenv.Percentile(churn.latencies, 50)), ms(testenv.Percentile(churn.latencies, 99)), cpuPerChange(*churn),
			mib(peakRSS(results, w, n)), len(hostile.windows), ms(testenv.Percentile(windowLengths(hostile.windows), 99)), hostile.permanent)
	}
	return b.String()
}

// hostileSection is workload 7's table at N: one row per writer.
func hostileSection(o options, results []measurement, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Workload 7 at N = %d: hostile writers\n\n", n)
	if o.plotDir != "" {
		fmt.Fprintf(&b, "![loss windows per writer](%s)\n\n", filepath.Base(plotPath(o.plotDir, n)))
	}
	fmt.Fprintf(&b, "| writer | hostile writes taken (stale / older / null / gap) | loss windows | by cause (stale / older / null / gap / none) | p50 ms | p99 ms | max ms | permanent losses | writes | request KiB |\n")
	fmt.Fprintf(&b, "|---|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, m := range results {
		if m.n != n || m.workload != wlHostile {
			continue
		}
		byCause := map[string]int{}
		for _, w := range m.windows {
			byCause[w.cause]++
		}
		lengths := windowLengths(m.windows)
		fmt.Fprintf(&b, "| %s | %d / %d / %d / %d | %d | %d / %d / %d / %d / %d | %s | %s | %s | %d | %d | %.0f |\n",
			m.writer, m.hostile[hostileStale], m.hostile[hostileOlder], m.hostile[hostileNull], m.hostile[hostileGap],
			len(m.windows), byCause[hostileStale], byCause[hostileOlder], byCause[hostileNull], byCause[hostileGap], byCause[""],
			ms(testenv.Percentile(lengths, 50)), ms(testenv.Percentile(lengths, 99)), ms(testenv.Percentile(lengths, 100)),
			m.permanent, m.requests.writes, float64(m.requests.bytes)/1024)
	}
	b.WriteString("\n")
	return b.String()
}

// reconcilesPerChange spells out each controller's reconciles, and per change.
func reconcilesPerChange(r map[string]int, changes int) string {
	names := slices.Sorted(maps.Keys(r))
	parts := make([]string, len(names))
	for i, c := range names {
		parts[i] = fmt.Sprintf("%s %d (%.2f per change)", c, r[c], float64(r[c])/float64(max(changes, 1)))
	}
	return strings.Join(parts, ", ")
}

func windowLengths(ws []lossWindow) []time.Duration {
	out := make([]time.Duration, len(ws))
	for i, w := range ws {
		out[i] = w.length
	}
	return out
}

// perApply spells out each process's CPU time per apply.
func perApply(cpu cpuByProcess, applies int64) string {
	var parts []string
	var total time.Duration
	for _, name := range []string{"kube-apiserver", "etcd", "harness", "writer"} {
		if d, ok := cpu[name]; ok && d > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", name, 1000*d.Seconds()/float64(max(applies, 1))))
			total += d
		}
	}
	return fmt.Sprintf("%s, total %.2f", strings.Join(parts, ", "), 1000*total.Seconds()/float64(max(applies, 1)))
}

func cpuPerChange(m measurement) float64 {
	return 1000 * m.cpu.Seconds() / float64(max(m.changes, 1))
}

// peakRSS is the highest RSS a writer's process reached at N.
func peakRSS(results []measurement, writer string, n int) int64 {
	var peak int64
	for _, m := range results {
		if m.writer == writer && m.n == n {
			peak = max(peak, m.peakRSS)
		}
	}
	return peak
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		fmt.Fprintf(&b, "    %s\n", strings.TrimSpace(line))
	}
	return b.String()
}

// commandLine is the harness's own arguments, with paths below the working
// directory made relative.
func commandLine() string {
	wd, _ := os.Getwd()
	args := make([]string, 0, len(os.Args)-1)
	for _, a := range os.Args[1:] {
		if wd != "" {
			a = strings.ReplaceAll(a, wd+string(os.PathSeparator), "")
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}
