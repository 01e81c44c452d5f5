package mapping_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/onboardhq/onboard/mapping"
	"github.com/onboardhq/onboard/providers"
	"github.com/onboardhq/onboard/providers/cognigy"
)

// benchFields is a typical Cognigy job: eight fields, one of each kind of
// rule.
const benchFields = `
id: { column: Work Email, lower: true }
name: { template: "{First Name} {Last Name}" }
password: { generate: password }
organisation: { value: 5f1e2d3c4b5a697887766554 }
roles: { column: Department, split: ";", map: { Sales: base_role, Support: liveAgentAgent, Supervisors: liveAgentSupervisor }, default: [base_role] }
acceptedTOS: { value: true }
disabled: { column: On Leave }
cxoneEmail: CXone Email
`

var (
	benchHeader = []string{"First Name", "Last Name", "Work Email", "Department", "On Leave", "CXone Email"}
	benchRow    = []string{"José", "García", " Jose.Garcia@Example.com ", "Sales;Supervisors", "no", "jose.garcia@cxone.example.com"}
)

func benchPlan(b *testing.B, fields string) *mapping.Plan {
	b.Helper()
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(fields), &node); err != nil {
		b.Fatal(err)
	}
	rules, err := mapping.ParseRules(node.Content[0])
	if err != nil {
		b.Fatal(err)
	}
	plan, err := mapping.Compile(rules, cognigy.New().Describe(), benchHeader, "Work Email")
	if err != nil {
		b.Fatal(err)
	}
	return plan
}

// BenchmarkApply maps one row with the typical rule set; "no-password"
// leaves out the generated password, which dominates.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct{ name, fields string }{
		{"typical", benchFields},
		{"no-password", `
id: { column: Work Email, lower: true }
name: { template: "{First Name} {Last Name}" }
password: { value: "not generated" }
organisation: { value: 5f1e2d3c4b5a697887766554 }
roles: { column: Department, split: ";", map: { Sales: base_role, Support: liveAgentAgent, Supervisors: liveAgentSupervisor }, default: [base_role] }
acceptedTOS: { value: true }
disabled: { column: On Leave }
cxoneEmail: CXone Email
`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			plan := benchPlan(b, bc.fields)
			b.ReportAllocs()
			for b.Loop() {
				rec, probs, _ := plan.Apply(benchRow)
				if len(probs) > 0 || len(rec) != 8 {
					b.Fatalf("Apply: %v %v", rec, probs)
				}
			}
		})
	}
}

// BenchmarkValidate runs the offline checks the pipeline runs on every
// mapped record: the field specs, then Cognigy's own rules.
func BenchmarkValidate(b *testing.B) {
	plan := benchPlan(b, benchFields)
	p := cognigy.New()
	d := p.Describe()
	rec, probs, _ := plan.Apply(benchRow)
	if len(probs) > 0 {
		b.Fatal(probs)
	}
	b.ReportAllocs()
	for b.Loop() {
		errs := providers.CheckFields(d, rec)
		errs = append(errs, p.Validate(rec, nil)...)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
