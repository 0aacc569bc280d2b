package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// isolatedAWS points the SDK's standard chain at an empty environment: no credentials anywhere, the shared config
// file holding config, instance metadata off (so nothing waits for it), and any request to a closed local port.
func isolatedAWS(t *testing.T, config string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "config")
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} {
		t.Setenv(name, "")
	}
	t.Setenv("HOME", dir)
	t.Setenv("AWS_CONFIG_FILE", file)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
}

// The first hour: each problem of the operator's AWS setup is one line saying what to do, then the SDK's error.
func TestAWSSetupErrors(t *testing.T) {
	cases := []struct {
		name, config string
		args         []string
		want         string
		code         int
	}{
		{"no credentials", "[default]\nregion = eu-west-1\n", []string{"status", "-function", "api"},
			"bluegreen status: no AWS credentials found: set AWS_PROFILE or pass -profile, or run aws sso login / aws configure (GetAlias api:live: operation error Lambda: GetAlias, get identity:", exitFail},
		{"no region", "", []string{"watch", "-function", "api", "-application", "app", "-group", "grp"},
			"bluegreen watch: no AWS region: pass -region or set AWS_REGION\n", exitAWS}, // watch: AWS could not be read
		{"unknown profile", "[profile dev]\nregion = eu-west-1\n", []string{"rollback", "-function", "api", "-profile", "prod"},
			`bluegreen rollback: unknown AWS profile "prod": pass -profile (or set AWS_PROFILE) with a profile of ~/.aws/config (aws configure list-profiles lists them) (failed to get shared config profile, prod)`, exitFail},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolatedAWS(t, tc.config)
			code, out, errOut := runWith(cli{stdin: strings.NewReader(""), connect: connectAWS}, tc.args...)
			if code != tc.code || !strings.HasPrefix(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d (want %d), stderr %q, want one line starting %q (stdout %q)", code, tc.code, errOut, tc.want, out)
			}
		})
	}
}

// A request IAM refuses names the action: from AWS's message, or from the operation when the message names none.
// Credentials AWS does not accept are said to be wrong or expired.
func TestAccessDeniedAndRefusedCredentials(t *testing.T) {
	cases := []struct{ code, message, want string }{
		{"AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/ops/me is not authorized to perform: " +
			"lambda:GetAlias on resource: arn:aws:lambda:eu-west-1:123456789012:function:api:live because no " +
			"identity-based policy allows the lambda:GetAlias action",
			"bluegreen status: access denied: the IAM policy does not allow lambda:GetAlias; grant it to the identity in use, or pass a -profile that has it (GetAlias api:live:"},
		{"AccessDeniedException", "",
			"bluegreen status: access denied: the IAM policy does not allow lambda:GetAlias (the message names no action); grant it"},
		{"UnrecognizedClientException", "The security token included in the request is invalid.",
			"bluegreen status: AWS refused the credentials (UnrecognizedClientException): they are wrong or expired; refresh them (aws sso login, aws configure) or pass another -profile ("},
	}
	for _, tc := range cases {
		f := newFake(t)
		f.aliasError, f.aliasMessage = tc.code, tc.message
		code, _, errOut := runWith(f.cli(""), "status", "-function", "api")
		if code != exitFail || !strings.HasPrefix(errOut, tc.want) || !strings.Contains(errOut, tc.code) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s %q: exit %d, stderr %q, want one line starting %q", tc.code, tc.message, code, errOut, tc.want)
		}
	}
}
