package scan

import (
	"context"
	"io"

	"github.com/jobguard/jobguard/internal/manifest"
)

// FileSource loads manifests from paths ("-" is stdin). skipped, when set, hears about documents
// that are not Kubernetes objects (e.g. a values.yaml); read, when set, hears the size of each
// input before it is parsed (see manifest.Options.Read).
func FileSource(paths []string, stdin io.Reader, skipped func(file string, line int, why string), read func(bytes int)) Source {
	return func(context.Context) (*Loaded, error) {
		objs, errs := manifest.Load(paths, stdin, manifest.Options{Skipped: skipped, Read: read})
		return &Loaded{Objects: objs, Inputs: paths, Errors: errs}, nil
	}
}
