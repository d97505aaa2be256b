package rbac

import (
	"sync"
	"testing"
	"time"
)

// The benchmark cluster: 5,000 roles and 20,000 bindings.
var bench = sync.OnceValues(func() (*Config, []Request) {
	c := RandomConfig(1, 5000)
	return c, RandomRequests(2, 1000, c)
})

func BenchmarkNewModel(b *testing.B) {
	c, _ := bench()
	b.ReportAllocs()
	for b.Loop() {
		c.Model()
	}
}

// BenchmarkWhoCan1000 builds the model and asks 1,000 WhoCan queries (half of them across all
// namespaces); the target is under 1 ms a query on average.
func BenchmarkWhoCan1000(b *testing.B) {
	c, reqs := bench()
	b.ReportAllocs()
	var answers, grants int
	var queries time.Duration
	for b.Loop() {
		m := c.Model()
		start := time.Now()
		answers, grants = 0, 0
		for i, req := range reqs {
			if i%2 == 0 {
				req.Namespace = ""
			}
			for _, a := range m.WhoCan(req) {
				answers++
				grants += len(a.Grants)
			}
		}
		queries += time.Since(start)
	}
	b.ReportMetric(float64(queries.Nanoseconds())/float64(b.N*len(reqs)), "ns/query")
	b.ReportMetric(float64(answers)/float64(len(reqs)), "answers/query")
	b.ReportMetric(float64(grants)/float64(len(reqs)), "grants/query")
}

func BenchmarkAllows(b *testing.B) {
	c, reqs := bench()
	m := c.Model()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := c.Identities[i%len(c.Identities)]
		m.Allows(id.User, id.Groups, reqs[i%len(reqs)])
		i++
	}
}
