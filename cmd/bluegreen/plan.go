package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/safeship/lambda-bluegreen/internal/plan"
)

// runPlan is bluegreen plan: it reads a synthesized cloud assembly offline and prints what each blue/green
// deployment in it does.
func runPlan(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("plan", stderr)
	assembly := fs.String("assembly", "cdk.out", "the synthesized cloud assembly: a directory with a manifest.json (./cdkw synth writes it; a file or another directory is bad usage, exit code 2)")
	svgDir := fs.String("svg", "", "write an SVG of each deployment's timeline into this folder, and print the paths written")
	asJSON := fs.Bool("json", false, "print JSON instead of text (the paths -svg writes go to standard error)")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if err := checkAssembly(*assembly); err != nil {
		fmt.Fprintln(stderr, "bluegreen plan:", err)
		return exitUsage
	}
	ds, err := plan.Read(*assembly)
	var ss []plan.Switch
	if err == nil {
		ss, err = plan.ReadSwitches(*assembly)
	}
	if err != nil {
		return failed(stderr, "plan", err)
	}
	var written []string
	if *svgDir != "" {
		if written, err = writeSVGs(*svgDir, ds); err != nil {
			return failed(stderr, "plan", err)
		}
	}
	paths := stdout
	if *asJSON {
		paths = stderr // stdout carries only the JSON document
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(plan.NewReport(ds, ss)); err != nil {
			return failed(stderr, "plan", err)
		}
	} else {
		fmt.Fprint(stdout, plan.Text(ds)+plan.SwitchText(ss))
	}
	for _, p := range written {
		fmt.Fprintln(paths, p)
	}
	return exitOK
}

// writeSVGs writes each deployment's timeline into dir and returns the paths it wrote.
func writeSVGs(dir string, ds []plan.Deployment) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var errs []error
	var written []string
	for _, d := range ds {
		name := filepath.Join(dir, strings.NewReplacer("/", "-", " ", "_").Replace(d.Path)+".svg")
		if err := os.WriteFile(name, plan.SVG(d), 0o644); err != nil {
			errs = append(errs, err)
			continue
		}
		written = append(written, name)
	}
	return written, errors.Join(errs...)
}
