package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/capt-controlplane/capt-controlplane/test/testenv"
)

// causeColors colour the windows by the hostile write they are put down to.
var causeColors = map[string]string{
	hostileStale: "#d62728",
	hostileOlder: "#ff7f0e",
	hostileNull:  "#9467bd",
	hostileGap:   "#1f77b4",
	"":           "#7f7f7f",
}

// plotPath is where the loss-window plot of N goes.
func plotPath(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("benchmarks-hostile-n%d.svg", n))
}

// writePlot draws workload 7's loss windows at N: one lane per writer, each
// window a dot at its start (x, seconds into the workload) and length
// (y, log scale from 1 ms to 10 s), coloured by cause.
func writePlot(path string, o options, results []measurement, n int) error {
	const (
		left, right, top, lane, gapY = 150.0, 20.0, 40.0, 110.0, 18.0
		width                        = 960.0
		minLen, maxLen               = 1e-3, 10.0 // seconds
	)
	var lanes []measurement
	for _, m := range results {
		if m.n == n && m.workload == wlHostile {
			lanes = append(lanes, m)
		}
	}
	if len(lanes) == 0 {
		return nil
	}
	span := (o.hostileFor + hostileSettle).Seconds()
	plotW := width - left - right
	height := top + float64(len(lanes))*(lane+gapY) + 50
	x := func(s float64) float64 { return left + plotW*math.Min(s, span)/span }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="22" font-size="14">Workload 7, N = %d: atProvider loss windows per writer (hostile writes %g/s for %s, churn %g/s, seed %d)</text>`+"\n",
		left, n, o.hostileRate, o.hostileFor, o.churnRate, o.seed)
	for li, m := range lanes {
		y0 := top + float64(li)*(lane+gapY)
		y := func(s float64) float64 {
			s = math.Max(minLen, math.Min(maxLen, s))
			return y0 + lane - lane*(math.Log10(s)-math.Log10(minLen))/(math.Log10(maxLen)-math.Log10(minLen))
		}
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="#f7f7f7" stroke="#ccc"/>`+"\n", left, y0, plotW, lane)
		for _, s := range []float64{0.001, 0.01, 0.1, 1, 10} {
			fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#e0e0e0"/>`+"\n", left, left+plotW, y(s), y(s))
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" font-size="10" fill="#666">%s</text>`+"\n", left-4, y(s)+3, axisLabel(s))
		}
		for _, w := range m.windows {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s" fill-opacity="0.7"/>`+"\n", x(w.at.Seconds()), y(w.length.Seconds()), causeColors[w.cause])
		}
		fmt.Fprintf(&b, `<text x="8" y="%.0f" font-weight="bold">%s</text>`+"\n", y0+20, m.writer)
		fmt.Fprintf(&b, `<text x="8" y="%.0f">%d windows</text>`+"\n", y0+38, len(m.windows))
		fmt.Fprintf(&b, `<text x="8" y="%.0f">p99 %s ms</text>`+"\n", y0+54, ms(testenv.Percentile(windowLengths(m.windows), 99)))
		fmt.Fprintf(&b, `<text x="8" y="%.0f">%d permanent</text>`+"\n", y0+70, m.permanent)
	}
	axisY := top + float64(len(lanes))*(lane+gapY)
	for s := 0.0; s <= span; s += 5 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="10" fill="#666">%gs</text>`+"\n", x(s), axisY, s)
	}
	lx := 20.0
	for _, cause := range append(append([]string{}, hostileKinds...), "") {
		label := cause
		if label == "" {
			label = "no hostile write"
		}
		fmt.Fprintf(&b, `<circle cx="%.0f" cy="%.0f" r="4" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n", lx, axisY+22, causeColors[cause], lx+8, axisY+26, label)
		lx += 8 + 6.5*float64(len(label)) + 18
	}
	fmt.Fprintf(&b, `<text x="8" y="%.0f" font-size="10" fill="#666">window length (log)</text>`+"\n", top-6)
	b.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func axisLabel(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%g ms", s*1000)
	}
	return fmt.Sprintf("%g s", s)
}
