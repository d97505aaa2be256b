package report

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jobguard/jobguard/internal/finding"
	"github.com/jobguard/jobguard/internal/rules"
)

// compileSchema compiles a JSON Schema file with format assertions on.
func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("compile %s: %v", file, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, doc)
	}
	return sch.Validate(inst)
}

// schemaCases are the inputs both schema tests write.
var schemaCases = []struct {
	name string
	fs   []finding.Finding
	meta Meta
}{
	{"varied", testFindings(), testMeta},
	{"empty", nil, Meta{}},
	{"all suppressed", []finding.Finding{testFindings()[3], testFindings()[7]}, Meta{ToolVersion: "dev", Resources: 2}},
	{"incomplete without errors", testFindings()[5:7], Meta{ToolVersion: "dev", Incomplete: true}},
	{"bare finding", []finding.Finding{{Rule: "x", Category: finding.CategoryImage, Severity: finding.SeverityLow,
		Resource: finding.Resource{Kind: "Pod", Name: "p"}}}, Meta{}},
}

func TestJSONMatchesSchema(t *testing.T) {
	sch := compileSchema(t, "../../docs/report.schema.json")
	for _, tt := range schemaCases {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, finding.Batches{tt.fs}, tt.meta); err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, b.Bytes()); err != nil {
				t.Errorf("WriteJSON output does not match docs/report.schema.json: %v\n%s", err, b.String())
			}
		})
	}
}

func TestJSONSchemaRejects(t *testing.T) {
	sch := compileSchema(t, "../../docs/report.schema.json")
	var b bytes.Buffer
	if err := WriteJSON(&b, finding.Batches{testFindings()[:1]}, testMeta); err != nil {
		t.Fatal(err)
	}
	good := b.String()
	if err := validate(t, sch, []byte(good)); err != nil {
		t.Fatalf("baseline does not validate: %v", err)
	}
	tests := []struct{ name, from, to string }{
		{"null findings", `"findings": [`, `"findings": null, "x": [`},
		{"unknown severity", `"severity":"high"`, `"severity":"severe"`},
		{"unknown field", `"rule":"host-privileged"`, `"rule":"host-privileged","extra":1`},
		{"wrong schema version", `"jobguard.io/v1"`, `"jobguard.io/v2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := bytes.Replace([]byte(good), []byte(tt.from), []byte(tt.to), 1)
			if bytes.Equal(bad, []byte(good)) {
				t.Fatalf("%q not found in output", tt.from)
			}
			if err := validate(t, sch, bad); err == nil {
				t.Errorf("schema accepts %s", tt.name)
			}
		})
	}
}

func TestSARIFMatchesSchema(t *testing.T) {
	sch := compileSchema(t, "testdata/sarif-2.1.0.json")
	for _, tt := range schemaCases {
		t.Run(tt.name, func(t *testing.T) {
			for _, rs := range [][]*rules.Rule{nil, testRules} {
				var b bytes.Buffer
				if err := WriteSARIF(&b, finding.Batches{tt.fs}, tt.meta, rs); err != nil {
					t.Fatal(err)
				}
				if err := validate(t, sch, b.Bytes()); err != nil {
					t.Errorf("WriteSARIF output is not valid SARIF 2.1.0: %v\n%s", err, b.String())
				}
			}
		})
	}
}
