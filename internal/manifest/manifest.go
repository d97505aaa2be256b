// Package manifest reads Kubernetes manifests (YAML or JSON files, directories of them, or stdin)
// into input.Objects that remember the file and line of the object and of every field inside it, so
// findings can point at "cron.yaml:14".
//
// Every document is YAML (JSON is YAML) read into JSON for input.Decode, with the line of every
// field recorded on the way; no source bytes are kept once an object is built. A hand-written
// reader (fast.go) reads the YAML that manifests, Helm and kustomize output use in practice; any
// other document, and every one that is not a plain object, is parsed with gopkg.in/yaml.v3 into a
// node tree, which is converted the same way. Both give the same JSON and lines (FuzzFastPath).
// Scalars follow what kubectl does through sigs.k8s.io/yaml, except that yes/no/on/off stay strings
// (YAML 1.2, as yaml.v3 reads them).
//
// With GOMAXPROCS > 1, Load reads several files at once, and the documents of a large file in
// parallel batches (parallel.go); its results are those of a sequential load, in the same order
// (TestParallelLoad, FuzzParse).
package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jobguard/jobguard/internal/input"
)

// DefaultMaxFileSize is the largest file Load and Parse read when Options.MaxFileSize is 0.
const DefaultMaxFileSize = 64 << 20

// StdinName is the file name given to objects read from stdin ("-").
const StdinName = "<stdin>"

// Options tunes Load and Parse. The zero value is ready to use.
type Options struct {
	// Skipped, when set, receives a note for each document that is skipped on purpose, e.g.
	// ("values.yaml", 1, "skipped: no apiVersion/kind"). Empty and comment-only documents are
	// ignored silently. It is called in input order, from the goroutine that called Load or
	// Parse.
	Skipped func(file string, line int, why string)
	// MaxFileSize is the largest input accepted, in bytes (DefaultMaxFileSize when <= 0). A bigger
	// file is an error naming its size.
	MaxFileSize int64
	// Read, when set, is told the size in bytes of each input once it is read and before it is
	// parsed (the scan command sizes its memory budget with it). Load may call it from several
	// goroutines at once.
	Read func(bytes int)
}

func (o *Options) read(n int) {
	if o.Read != nil {
		o.Read(n)
	}
}

func (o *Options) maxSize() int64 {
	if o.MaxFileSize <= 0 {
		return DefaultMaxFileSize
	}
	return o.MaxFileSize
}

// Error is a problem with one input: a path that cannot be read, a file that is not YAML, or one
// malformed document. Line is 0 when the problem is not tied to a line.
type Error struct {
	File string
	Line int
	Err  error
}

// Error reads "file:line: message" (or "file: message" without a line).
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return e.File + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

var (
	// ErrBinary is the error of a file holding NUL bytes or invalid UTF-8.
	ErrBinary = errors.New("not a YAML or JSON file (binary content)")
	// ErrTooLarge is wrapped by the error of a file over Options.MaxFileSize.
	ErrTooLarge = errors.New("file too large")
	// ErrAliasBomb is wrapped by the error of a document whose YAML aliases expand to far more
	// than the document itself (a "billion laughs" attack).
	ErrAliasBomb = errors.New("YAML aliases expand too much (possible YAML bomb)")
)

// Load reads the given paths: files, directories (recursively, files ending in .yaml, .yml or
// .json, in lexical order, hidden directories such as .git skipped) and "-" for stdin. It returns
// every object that has a kind, in input order (typed through input.Decode when jobguard knows the
// kind, Obj nil otherwise), and one *Error per problem: a missing path, an unreadable or binary
// file, a malformed document. Other documents of the same file and other inputs are still read. A
// directory without manifests yields neither objects nor errors.
func Load(paths []string, stdin io.Reader, opts Options) (objs []*input.Object, errs []error) {
	p := loadAll(paths, stdin, opts)
	return p.objs, p.errs
}

// loadAll loads paths with one parser, or in parallel on GOMAXPROCS goroutines when there are
// several (see loader), which gives the same results.
func loadAll(paths []string, stdin io.Reader, opts Options) *parser {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return loadParallel(paths, stdin, &opts, n, batchBytes)
	}
	p := newParser(&opts)
	walkPaths(paths, stdin, p)
	return p
}

// inputs receives the inputs of a Load in order: problems with paths, files and stdin.
type inputs interface {
	fail(file string, line int, err error)
	loadFile(path string, fi fs.FileInfo)
	readFrom(name string, r io.Reader, sizeHint int64)
}

// walkPaths passes the inputs paths name to in, in order.
func walkPaths(paths []string, stdin io.Reader, in inputs) {
	for _, path := range paths {
		if path == "-" {
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			in.readFrom(StdinName, stdin, 0)
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			in.fail(path, 0, pathError(err))
			continue
		}
		if fi.IsDir() {
			walk(path, in)
			continue
		}
		in.loadFile(path, fi)
	}
}

// walk passes the manifests under root to in, in lexical order. Unreadable entries are errors,
// and the walk goes on.
func walk(root string, in inputs) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			in.fail(path, 0, pathError(err))
			if d != nil && d.IsDir() && path != root {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != root && isHidden(d.Name()) {
				return fs.SkipDir
			}
			return nil
		}
		if !isManifestName(d.Name()) {
			return nil
		}
		// Symlinks to files are followed; symlinks to directories are not (no loops).
		fi, err := os.Stat(path)
		if err != nil {
			in.fail(path, 0, pathError(err))
			return nil
		}
		if fi.IsDir() {
			return nil
		}
		in.loadFile(path, fi)
		return nil
	})
}

// loadFile reads and parses one file, with its bytes in a buffer reused from file to file
// (nothing read keeps a reference to them).
func (p *parser) loadFile(path string, fi fs.FileInfo) {
	data, err := readFile(path, fi, p.opts.maxSize(), p.read)
	p.read = data
	if err != nil {
		p.fail(path, 0, err)
		return
	}
	p.opts.read(len(data))
	p.parse(path, data)
}

// readFrom reads r whole (up to the size limit) and parses it as file name.
func (p *parser) readFrom(name string, r io.Reader, sizeHint int64) {
	data, err := readAll(r, sizeHint, p.opts.maxSize(), p.read)
	p.read = data
	if err != nil {
		p.fail(name, 0, err)
		return
	}
	p.opts.read(len(data))
	p.parse(name, data)
}

// readFile reads the file path, whose FileInfo is fi, with readAll. Files that are not regular (a
// pipe such as <(helm template .)) are read up to the size limit max.
func readFile(path string, fi fs.FileInfo, max int64, buf []byte) ([]byte, error) {
	if fi.Mode().IsRegular() && fi.Size() > max {
		return buf[:0], tooLarge(fi.Size(), max)
	}
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], pathError(err)
	}
	defer f.Close()
	var sizeHint int64
	if fi.Mode().IsRegular() {
		sizeHint = fi.Size()
	}
	return readAll(f, sizeHint, max, buf)
}

// readAll reads r whole into buf, which it replaces with a bigger one when needed, sized once for
// sizeHint bytes. It returns the bytes read (in buf's array or the new one, even on an error) and
// the error to report for the input, for one over max bytes too.
func readAll(r io.Reader, sizeHint, max int64, buf []byte) ([]byte, error) {
	r = io.LimitReader(r, max+1)
	data := buf[:0]
	if want := int(min(sizeHint, max)) + 1; cap(data) < want {
		data = make([]byte, 0, want)
	}
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)] // grow
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return data, pathError(err)
		}
	}
	if int64(len(data)) > max {
		return data, fmt.Errorf("%w (over the limit of %s)", ErrTooLarge, size(max))
	}
	return data, nil
}

func tooLarge(n, max int64) error {
	return fmt.Errorf("%w (%s, limit %s)", ErrTooLarge, size(n), size(max))
}

// size formats a byte count for messages.
func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// pathError drops the operation and path of an *fs.PathError, since Error already names the file:
// "x.yaml: no such file or directory" rather than "x.yaml: stat x.yaml: no such file or directory".
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isHidden(name string) bool {
	return len(name) > 1 && name[0] == '.' && name != ".."
}

func isManifestName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml" || ext == ".json"
}
