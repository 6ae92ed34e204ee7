package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// processCPU reads a process's user+system CPU time and peak resident set
// size from /proc.
func processCPU(pid int) (time.Duration, int64) {
	var cpu time.Duration
	if raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// Fields after the command name, which may hold spaces.
		fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
		if len(fields) > 12 {
			utime, _ := strconv.ParseInt(fields[11], 10, 64)
			stime, _ := strconv.ParseInt(fields[12], 10, 64)
			cpu = time.Duration(utime+stime) * time.Second / clockTicks
		}
	}
	var rss int64
	if raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(line, "VmHWM:") {
				kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				rss = kb * 1024
			}
		}
	}
	return cpu, rss
}

// machineTicks is the machine's CPU time from the first line of /proc/stat,
// in clock ticks: busy (every state but idle and iowait) and total.
type machineTicks struct{ busy, total int64 }

func machineCPU() machineTicks {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	var t machineTicks
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseInt(f, 10, 64)
		if i >= 8 { // guest time is already counted in user time
			break
		}
		t.total += v
		if i != 3 && i != 4 { // idle, iowait
			t.busy += v
		}
	}
	return t
}

// busySince is the share of CPU time in use between before and t.
func (t machineTicks) busySince(before machineTicks) float64 {
	if t.total <= before.total {
		return 0
	}
	return float64(t.busy-before.busy) / float64(t.total-before.total)
}

// pidsNamed lists the processes whose command name is name.
func pidsNamed(name string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == name {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cpuByProcess is the CPU time of the processes that share the machine
// during a measurement: the API server, etcd, the harness itself (its
// watches and the Workspace writes) and the writer under test.
type cpuByProcess map[string]time.Duration

func cpuOf(writer int) cpuByProcess {
	out := cpuByProcess{}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		for _, pid := range pidsNamed(name) {
			cpu, _ := processCPU(pid)
			out[name] += cpu
		}
	}
	out["harness"], _ = processCPU(os.Getpid())
	out["writer"], _ = processCPU(writer)
	return out
}

func (c cpuByProcess) minus(before cpuByProcess) cpuByProcess {
	out := cpuByProcess{}
	for k, v := range c {
		out[k] = v - before[k]
	}
	return out
}
