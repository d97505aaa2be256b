// Package progress draws a one-line progress indicator on a terminal (stderr), and nothing at all
// when the writer is not a terminal, so machine output and logs stay clean.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// Bar is safe for concurrent use. A nil *Bar is a valid no-op.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	total int
	done  int
	last  time.Time
	drawn bool
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// New returns a bar on w when w is a terminal, else nil (a no-op). total may be 0 when unknown.
func New(w io.Writer, label string, total int) *Bar {
	if !IsTerminal(w) {
		return nil
	}
	return &Bar{w: w, label: label, total: total}
}

// SetTotal changes the total (e.g. once a listing knows its size).
func (b *Bar) SetTotal(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.total = n
	b.mu.Unlock()
}

// Add advances the bar by n and redraws at most ten times a second.
func (b *Bar) Add(n int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond {
		b.last = now
		b.draw()
	}
}

func (b *Bar) draw() {
	b.drawn = true
	if b.total > 0 {
		const width = 30
		filled := width * b.done / b.total
		if filled > width {
			filled = width
		}
		bar := make([]byte, width)
		for i := range bar {
			if i < filled {
				bar[i] = '='
			} else {
				bar[i] = ' '
			}
		}
		fmt.Fprintf(b.w, "\r%s [%s] %d/%d", b.label, bar, b.done, b.total)
		return
	}
	fmt.Fprintf(b.w, "\r%s %d", b.label, b.done)
}

// Done erases the bar.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
