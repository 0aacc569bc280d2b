package plan

// Report is the document bluegreen plan -json prints: every deployment in full, the groups of deployments with
// the same plan (the text shows each group once), each stack's times, and the DNS switches. No list is null.
type Report struct {
	Deployments []Deployment  `json:"deployments"`
	Groups      []Group       `json:"groups"`
	Stacks      []StackTiming `json:"stacks"`
	Switches    []Switch      `json:"switches"`
}

// NewReport assembles the Report of ds and ss.
func NewReport(ds []Deployment, ss []Switch) Report {
	r := Report{Deployments: ds, Groups: Groups(ds), Stacks: Stacks(ds), Switches: ss}
	if r.Deployments == nil {
		r.Deployments = []Deployment{}
	}
	if r.Groups == nil {
		r.Groups = []Group{}
	}
	if r.Stacks == nil {
		r.Stacks = []StackTiming{}
	}
	if r.Switches == nil {
		r.Switches = []Switch{}
	}
	return r
}
