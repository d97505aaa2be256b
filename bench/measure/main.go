// Command measure runs a command and reports its wall time and peak resident memory (from the
// kernel's rusage), so benchmark scripts need no external timing tool.
//
//	go run ./bench/measure -label jobguard -runs 3 -- jobguard scan bench/out/input/all.yaml
//
// It runs the command -runs times (default 3) and prints one line: "label<TAB>seconds<TAB>
// peak_rss_mb<TAB>exit_code", with the median wall time, the highest peak memory and the exit
// code of the last run. It passes the command's standard error through; standard output goes to
// the null device (reports can be large, and no reader should slow the command down).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	label := flag.String("label", "", "label for the result line (default: the command name)")
	runs := flag.Int("runs", 3, "how many times to run the command; the median wall time is reported")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure [-label L] -- command [args...]")
		os.Exit(2)
	}
	if *label == "" {
		*label = args[0]
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "measure: -runs must be at least 1")
		os.Exit(2)
	}
	var walls []float64
	rssMB, code := 0.0, 0
	for range *runs {
		wall, rss, c := once(args)
		walls = append(walls, wall)
		rssMB, code = max(rssMB, rss), c
	}
	slices.Sort(walls)
	fmt.Printf("%s\t%.3f\t%.1f\t%d\n", *label, walls[len(walls)/2], rssMB, code)
}

// once runs args and returns its wall time in seconds, its peak memory in MB and its exit code.
func once(args []string) (float64, float64, int) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr // Stdout nil: the null device
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			fmt.Fprintln(os.Stderr, "measure:", err)
			os.Exit(2)
		}
		code = ee.ExitCode()
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rssMB := 0.0
	if ru != nil {
		rssMB = float64(ru.Maxrss) / 1024 // Linux reports KiB
	}
	return wall.Seconds(), rssMB, code
}
