package plan

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Switch is a group of weighted Route 53 records of one name (a dnsswitch.Switch, or any weighted records): who
// gets the DNS answers for the name, and in what share.
type Switch struct {
	// Path is the construct path of the records' parent (the Switch).
	Path  string `json:"path"`
	Stack string `json:"stack"`
	// Name is the record name, fully qualified; Zone the hosted zone id (or "" when it is not a literal).
	Name string `json:"name"`
	Zone string `json:"zone,omitempty"`
	// Type is the record type; Alias tells alias records (no TTL of their own) from records with TTLSeconds.
	Type       string  `json:"type"`
	Alias      bool    `json:"alias"`
	TTLSeconds float64 `json:"ttlSeconds,omitempty"`
	// Records are the weighted records, in the order of their set identifiers.
	Records []WeightedRecord `json:"records"`
}

// WeightedRecord is one record of a Switch.
type WeightedRecord struct {
	SetIdentifier string  `json:"setIdentifier"`
	Weight        float64 `json:"weight"`
	// Share is the percentage of answers the record gets while every record with a health check is healthy.
	Share       float64 `json:"sharePercent"`
	HealthCheck bool    `json:"healthCheck"`
}

// ReadSwitches describes every group of weighted Route 53 records of the cloud assembly in dir, nested
// assemblies included, sorted by path.
func ReadSwitches(dir string) ([]Switch, error) {
	var out []Switch
	err := eachStack(dir, func(file string, stack stackNames) error {
		t, err := loadTemplate(file)
		if err != nil {
			return err
		}
		out = append(out, switchesOf(t, stack.display)...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func switchesOf(t template, stack string) []Switch {
	groups := map[string]*Switch{}
	for _, r := range t.Resources {
		if r.Type != "AWS::Route53::RecordSet" {
			continue
		}
		weight, weighted := r.Properties["Weight"].(float64)
		setID, _ := r.Properties["SetIdentifier"].(string)
		if !weighted || setID == "" {
			continue
		}
		name, _ := r.Properties["Name"].(string)
		typ, _ := r.Properties["Type"].(string)
		zone, _ := r.Properties["HostedZoneId"].(string)
		key := strings.Join([]string{zone, name, typ}, "|")
		sw := groups[key]
		if sw == nil {
			sw = &Switch{Path: path.Dir(r.path()), Stack: stack, Name: name, Zone: zone, Type: typ}
			_, sw.Alias = r.Properties["AliasTarget"]
			if ttl, ok := r.Properties["TTL"].(string); ok {
				fmt.Sscan(ttl, &sw.TTLSeconds)
			}
			groups[key] = sw
		}
		_, health := r.Properties["HealthCheckId"]
		sw.Records = append(sw.Records, WeightedRecord{SetIdentifier: setID, Weight: weight, HealthCheck: health})
	}
	var out []Switch
	for _, sw := range groups {
		var total float64
		for _, r := range sw.Records {
			total += r.Weight
		}
		for i := range sw.Records {
			if total > 0 {
				sw.Records[i].Share = 100 * sw.Records[i].Weight / total
			}
		}
		sort.Slice(sw.Records, func(i, j int) bool { return sw.Records[i].SetIdentifier < sw.Records[j].SetIdentifier })
		out = append(out, *sw)
	}
	return out
}

// SwitchText renders the switches for a person: "" when there is none.
func SwitchText(ss []Switch) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString("\n")
		fmt.Fprintf(&b, "%s (stack %s)\n", s.Path, s.Stack)
		kind := fmt.Sprintf("weighted %s records, TTL %gs", s.Type, s.TTLSeconds)
		if s.Alias {
			kind = fmt.Sprintf("weighted %s alias records (TTL of the target)", s.Type)
		}
		zone := s.Zone
		if zone == "" {
			zone = "from a reference"
		}
		fmt.Fprintf(&b, "  name       %s in zone %s: %s\n", s.Name, zone, kind)
		for _, r := range s.Records {
			share := fmt.Sprintf("%.4g %% of answers", r.Share)
			if r.Weight == 0 {
				share = "0 %: answers only when every record of non-zero weight is unhealthy"
			}
			health := "health check"
			if !r.HealthCheck {
				health = "no health check: always counts as healthy"
			}
			fmt.Fprintf(&b, "  %-10s weight %g, %s; %s\n", r.SetIdentifier, r.Weight, share, health)
		}
	}
	return b.String()
}
