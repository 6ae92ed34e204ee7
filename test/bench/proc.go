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
