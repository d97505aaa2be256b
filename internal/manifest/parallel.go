package manifest

import (
	"io"
	"io/fs"
	"sync/atomic"

	"github.com/jobguard/jobguard/internal/input"
)

// A Load with GOMAXPROCS > 1 reads files in parallel, and the documents of a large file too:
//
//   - Load's goroutine walks the paths in order, as a sequential Load does, and starts each file as
//     a job when one of GOMAXPROCS buffers is free, so at most that many files are held at once.
//   - A job reads its file into its buffer and splits it into documents; every batchBytes of
//     documents go to a task of their own as they are found, the last ones it reads itself. A
//     task reads its documents with the fast path into objects of its own.
//   - The task that ends a job's last batch finishes it: it takes the fast path's objects in
//     order and reads the documents the fast path left with yaml.v3, in order, as parse does. Then
//     the buffer is free.
//   - Load's goroutine passes on each job's objects, errors and skip notes in input order, calling
//     Options.Skipped itself.
//
// Every task runs with a parser of its own (walker, fast path state, interning tables, buffers),
// taken from a pool of GOMAXPROCS; taking one is the right to run, so no more than GOMAXPROCS tasks
// run at once. A job's documents are read exactly as parse reads them, so the results are those of
// a sequential Load (TestParallelLoad).

// batchBytes is about how many bytes of documents one task reads with the fast path: enough that
// a task costs far more than starting it (about a millisecond), few enough that a large file keeps
// every worker busy to its end.
var batchBytes = 64 << 10

// loader runs a parallel Load.
type loader struct {
	opts  *Options
	batch int // batchBytes, or less in tests
	// states holds the parsers not in use (nil for one not made yet): a task takes one to run.
	states chan *parser
	// bufs holds the file buffers not in use: Load's goroutine takes one to start a job.
	bufs  chan []byte
	queue []*job  // jobs not passed on yet, in input order
	out   *parser // what was passed on: objects, errors and counts, in order
}

// job is one input of a parallel Load: a file, stdin, or a problem with a path.
type job struct {
	name string
	// ready is closed once objs, errs and notes are complete; nil when they are from the start.
	ready chan struct{}
	objs  []*input.Object
	errs  []error
	notes []note

	buf     []byte   // the buffer the input was read into, freed when the job is done
	data    []byte   // the input's text
	chunks  []chunk  // its documents
	batches []*batch // the fast path's tasks, in order
	pending atomic.Int32
}

// batch is a run of documents of a job the fast path reads in one task.
type batch struct {
	chunks []chunk
	done   []fastResult // what the fast path did with each of chunks
}

// loadParallel loads paths with n workers, in batches of batch bytes of documents.
func loadParallel(paths []string, stdin io.Reader, opts *Options, n, batch int) *parser {
	l := &loader{
		opts:   opts,
		batch:  batch,
		states: make(chan *parser, n),
		bufs:   make(chan []byte, n),
		out:    newParser(opts),
	}
	for range n {
		l.states <- nil
		l.bufs <- nil
	}
	walkPaths(paths, stdin, l)
	for len(l.queue) > 0 {
		if r := l.queue[0].ready; r != nil {
			<-r
		}
		l.pass()
	}
	// Every task has ended once all parsers are back; their counts are the Load's.
	for range n {
		if p := <-l.states; p != nil {
			l.out.docs += p.docs
			l.out.fastDocs += p.fastDocs
		}
	}
	return l.out
}

// pass passes on the jobs at the front of the queue that are ready.
func (l *loader) pass() {
	for len(l.queue) > 0 {
		j := l.queue[0]
		if j.ready != nil {
			select {
			case <-j.ready:
			default:
				return
			}
		}
		out := l.out
		switch {
		case len(j.objs) == 0:
		case out.objs == nil:
			out.objs = j.objs
		default:
			out.objs = append(out.objs, j.objs...)
		}
		out.errs = append(out.errs, j.errs...)
		for _, n := range j.notes {
			l.opts.Skipped(n.file, n.line, n.why)
		}
		l.queue[0] = nil
		l.queue = l.queue[1:]
	}
}

// fail queues a problem with an input.
func (l *loader) fail(file string, line int, err error) {
	l.queue = append(l.queue, &job{errs: []error{&Error{File: file, Line: line, Err: err}}})
	l.pass()
}

// start queues a job for the input name once a buffer is free, passing on jobs meanwhile.
func (l *loader) start(name string) *job {
	j := &job{name: name, ready: make(chan struct{})}
	for {
		l.pass()
		var front chan struct{} // nil (never ready) when the queue is empty
		if len(l.queue) > 0 {
			front = l.queue[0].ready
		}
		select {
		case j.buf = <-l.bufs:
			l.queue = append(l.queue, j)
			return j
		case <-front:
		}
	}
}

// loadFile reads and parses the file path in a task.
func (l *loader) loadFile(path string, fi fs.FileInfo) {
	j := l.start(path)
	go func() {
		p := l.take()
		data, err := readFile(path, fi, l.opts.maxSize(), j.buf)
		j.buf = data
		if err != nil {
			j.errs = append(j.errs, &Error{File: path, Err: err})
			l.done(j)
		} else {
			l.opts.read(len(data))
			l.parse(j, p, data)
		}
		l.states <- p
	}()
}

// readFrom reads r (stdin) at once, as a later input may read it too, and parses it in a task.
func (l *loader) readFrom(name string, r io.Reader, sizeHint int64) {
	j := l.start(name)
	data, err := readAll(r, sizeHint, l.opts.maxSize(), j.buf)
	j.buf = data
	if err != nil {
		j.errs = append(j.errs, &Error{File: name, Err: err})
		l.done(j)
		return
	}
	l.opts.read(len(data))
	go func() {
		p := l.take()
		l.parse(j, p, data)
		l.states <- p
	}()
}

// take waits for a parser to run a task with.
func (l *loader) take() *parser {
	p := <-l.states
	if p == nil {
		p = newParser(l.opts)
		p.buffer = true
	}
	return p
}

// parse splits the input of j into documents and reads them, as parser.parse does, with p: it
// starts a task for every l.batch bytes of documents, and reads the last ones itself.
func (l *loader) parse(j *job, p *parser, data []byte) {
	data, ok := text(data)
	if !ok {
		j.errs = append(j.errs, &Error{File: j.name, Err: ErrBinary})
		l.done(j)
		return
	}
	j.data = data
	j.pending.Store(1) // this task's batch
	var chunks []chunk
	from, n := 0, 0 // the first chunk of the next batch, and the bytes it has so far
	splitDocuments(data, func(c chunk) {
		chunks = append(chunks, c)
		if n += len(c.doc); n >= l.batch {
			b := l.addBatch(j, chunks[from:])
			j.pending.Add(1)
			go func() {
				p := l.take()
				l.read(j, b, p)
				l.states <- p
			}()
			from, n = len(chunks), 0
		}
	})
	j.chunks = chunks
	l.read(j, l.addBatch(j, chunks[from:]), p)
}

// addBatch adds a batch of chunks to j.
func (l *loader) addBatch(j *job, chunks []chunk) *batch {
	b := &batch{chunks: chunks[:len(chunks):len(chunks)], done: make([]fastResult, len(chunks))}
	j.batches = append(j.batches, b)
	return b
}

// read reads the batch b of j with the fast path, and finishes j when it was its last batch.
func (l *loader) read(j *job, b *batch, p *parser) {
	p.file = j.name
	p.fastChunks(b.chunks, b.done, make([]*input.Object, 0, len(b.chunks)))
	if j.pending.Add(-1) == 0 {
		l.finish(j, p)
	}
}

// finish passes on the objects the fast path read from j and reads the documents it left, in order
// (parser.finish), then frees j's buffer.
func (l *loader) finish(j *job, p *parser) {
	done, n := p.done[:0], 0
	for _, b := range j.batches {
		done = append(done, b.done...)
		for _, r := range b.done {
			n += len(r.objs)
		}
	}
	p.file = j.name
	p.objs, p.errs, p.notes = make([]*input.Object, 0, n), nil, nil
	p.finish(j.data, j.chunks, done)
	j.objs, j.errs, j.notes = p.objs, p.errs, p.notes
	p.objs, p.errs, p.notes = nil, nil, nil
	clear(done)
	p.done = done[:0]
	j.data, j.chunks, j.batches = nil, nil, nil
	l.done(j)
}

// done frees the buffer of j and marks it ready.
func (l *loader) done(j *job) {
	l.bufs <- j.buf
	j.buf = nil
	close(j.ready)
}
