package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// assembly writes a cloud assembly folder whose validation report has one finding of each given severity.
func assembly(t *testing.T, severities ...string) string {
	t.Helper()
	dir := t.TempDir()
	var violations []string
	for i, s := range severities {
		violations = append(violations, `{"ruleName":"R`+string(rune('0'+i))+`","description":"finding `+s+
			`","severity":"`+s+`","violatingConstructs":[{"constructPath":"Stack/Thing"}]}`)
	}
	body := `{"title":"Validation Report","pluginReports":[{"pluginName":"CloudFormation Validate","violations":[` +
		strings.Join(violations, ",") + `]}]}`
	if err := os.WriteFile(filepath.Join(dir, "validation-report.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckreport(t *testing.T) {
	cases := []struct {
		name       string
		severities []string
		code       int
		want       string
	}{
		{"clean", nil, 0, "no error-level finding"},
		{"warnings and infos only", []string{"warning", "info"}, 0, "no error-level finding"},
		{"an error", []string{"warning", "error"}, 1, "1 error-level findings"},
		{"a fatal finding", []string{"fatal"}, 1, "CloudFormation Validate: R0 (fatal): finding fatal at Stack/Thing"},
		{"severity in capitals", []string{"ERROR", "Fatal"}, 1, "2 error-level findings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run([]string{assembly(t, tc.severities...)}, &out, &errOut)
			if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
				t.Errorf("exit %d (want %d); stdout %q stderr %q (want %q)", code, tc.code, out.String(), errOut.String(), tc.want)
			}
		})
	}
	t.Run("no report", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run([]string{t.TempDir()}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "no validation report") {
			t.Errorf("exit %d, stderr %q", code, errOut.String())
		}
	})
}
