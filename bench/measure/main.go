// Command measure runs a command and reports its wall time and peak resident memory (from the
// kernel's rusage), so benchmark scripts need no external timing tool.
//
//	go run ./bench/measure -label jobguard -- jobguard scan bench/out/input/all.yaml
//
// It prints one line: "label<TAB>seconds<TAB>peak_rss_mb<TAB>exit_code", and passes the command's
// standard error through. Standard output is discarded (reports can be large).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	label := flag.String("label", "", "label for the result line (default: the command name)")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure [-label L] -- command [args...]")
		os.Exit(2)
	}
	if *label == "" {
		*label = args[0]
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
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
	fmt.Printf("%s\t%.3f\t%.1f\t%d\n", *label, wall.Seconds(), rssMB, code)
}
