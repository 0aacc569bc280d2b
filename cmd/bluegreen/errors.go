package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
)

// Errors that say what to do. Each is reported on one line, followed by the error it explains.
var (
	// errNoRegion: the SDK found no region in -region, AWS_REGION or the profile. The SDK itself reports this only
	// at the first call, as an endpoint rule error ("Invalid Configuration: Missing Region"), so connectAWS checks
	// the loaded configuration first.
	errNoRegion = errors.New("no AWS region: pass -region or set AWS_REGION")
	// errNoAssembly: plan was pointed at a path that is not a cloud assembly (none there, a file, a directory
	// without manifest.json). It is bad usage (exit code 2).
	errNoAssembly = errors.New("no cloud assembly")
)

// credentialsError marks a failure of the credential chain, so that it can be told apart from the API errors of
// the call it happened in: the SDK reports it inside the call's smithy.OperationError as plain wrapped text
// ("get identity: failed to refresh cached credentials, …"), with no type of its own for "nothing found".
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// markedCredentials wraps the SDK's credential chain and marks its errors as credentialsError.
type markedCredentials struct{ aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &credentialsError{err}
	}
	return c, nil
}

// checkAssembly returns errNoAssembly, saying what was expected and what to do, when path is not a cloud assembly:
// a directory holding manifest.json, as cdk synth writes it (cdk.out). A path that does not exist, a file, or a
// directory without manifest.json is bad usage; another error (a directory that cannot be read) is returned as it
// is, and plan reports it as a failure.
func checkAssembly(path string) error {
	const expected = "a cloud assembly is a directory with a manifest.json, as ./cdkw synth writes it (cdk.out)"
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w at %s: run ./cdkw synth first, or pass -assembly", errNoAssembly, path)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%w at %s: it is a file, and %s: pass -assembly with one", errNoAssembly, path, expected)
	}
	st, err = os.Stat(filepath.Join(path, "manifest.json"))
	switch {
	case errors.Is(err, fs.ErrNotExist), err == nil && st.IsDir():
		return fmt.Errorf("%w at %s: the directory has no manifest.json, and %s: run ./cdkw synth first, or pass -assembly",
			errNoAssembly, path, expected)
	}
	return err
}

// The API error codes AWS answers a request with when the credentials were read but are refused: Lambda and
// CodeDeploy (JSON protocols) answer UnrecognizedClientException for an unknown key ("The security token included
// in the request is invalid"), the query-protocol services InvalidClientTokenId; ExpiredToken(Exception) for
// expired session credentials; InvalidSignatureException / SignatureDoesNotMatch for a wrong secret key (AWS
// "Common Errors" pages of the Lambda, CodeDeploy and CloudWatch API references).
var refusedCredentials = map[string]bool{
	"UnrecognizedClientException": true, "InvalidClientTokenId": true, "ExpiredToken": true,
	"ExpiredTokenException": true, "InvalidSignatureException": true, "SignatureDoesNotMatch": true,
}

// The codes of a request that IAM refused: AccessDeniedException (Lambda, CodeDeploy), AccessDenied (CloudWatch's
// query protocol).
var deniedCodes = map[string]bool{"AccessDeniedException": true, "AccessDenied": true}

// IAM's denial message names the action: "User: arn:… is not authorized to perform: lambda:GetAlias on resource:
// … because no identity-based policy allows the lambda:GetAlias action", or "… with an explicit deny in …" (IAM User
// Guide, "Troubleshoot access denied error messages").
var deniedAction = regexp.MustCompile(`not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9*]+)`)

// iamPrefix is each client's IAM service prefix, by the SDK's service ID.
var iamPrefix = map[string]string{"Lambda": "lambda", "CodeDeploy": "codedeploy", "CloudWatch": "cloudwatch",
	"CloudFormation": "cloudformation", "SSM": "ssm", "S3": "s3", "STS": "sts"}

// explain puts what to do in front of an error the operator can fix (no credentials, no region, an unknown
// profile, refused credentials, a denied IAM action, no cloud assembly), keeping the error itself after it.
// Other errors are returned as they are.
func explain(err error) error {
	if err == nil {
		return nil
	}
	var profile config.SharedConfigProfileNotExistError
	var profilePtr *config.SharedConfigProfileNotExistError
	var sso *ssocreds.InvalidTokenError
	var creds *credentialsError
	var api smithy.APIError
	switch {
	case errors.Is(err, errNoRegion), errors.Is(err, errNoAssembly):
		return err // already says what to do
	case errors.As(err, &profile):
		return advise(fmt.Sprintf("unknown AWS profile %q: pass -profile (or set AWS_PROFILE) with a profile of ~/.aws/config "+
			"(aws configure list-profiles lists them)", profile.Profile), err)
	case errors.As(err, &profilePtr):
		return advise(fmt.Sprintf("unknown AWS profile %q: pass -profile (or set AWS_PROFILE) with a profile of ~/.aws/config "+
			"(aws configure list-profiles lists them)", profilePtr.Profile), err)
	case errors.As(err, &sso):
		return advise("the AWS SSO session has expired: run aws sso login (with --profile for a named profile)", err)
	case errors.As(err, &creds):
		return advise("no AWS credentials found: set AWS_PROFILE or pass -profile, or run aws sso login / aws configure", err)
	case errors.As(err, &api) && refusedCredentials[api.ErrorCode()]:
		return advise(fmt.Sprintf("AWS refused the credentials (%s): they are wrong or expired; refresh them (aws sso login, "+
			"aws configure) or pass another -profile", api.ErrorCode()), err)
	case errors.As(err, &api) && deniedCodes[api.ErrorCode()]:
		return advise(fmt.Sprintf("access denied: %s; grant it to the identity in use, or pass a -profile that has it",
			deniedWhat(err, api)), err)
	}
	return err
}

// deniedWhat names the IAM action that was denied: from the message when IAM names it, otherwise from the
// operation that failed (Lambda's GetAlias needs lambda:GetAlias: every action here has the operation's name).
func deniedWhat(err error, api smithy.APIError) string {
	if m := deniedAction.FindStringSubmatch(api.ErrorMessage()); m != nil {
		if strings.Contains(api.ErrorMessage(), "explicit deny") {
			return "a policy explicitly denies " + m[1] + " (an administrator must lift the deny)"
		}
		return "the IAM policy does not allow " + m[1]
	}
	var op *smithy.OperationError
	if errors.As(err, &op) {
		if p := iamPrefix[op.Service()]; p != "" {
			return fmt.Sprintf("the IAM policy does not allow %s:%s (the message names no action)", p, op.Operation())
		}
		return fmt.Sprintf("%s %s was refused", op.Service(), op.Operation())
	}
	return "the request was refused"
}

func advise(what string, err error) error {
	return &advisedError{what: what, err: err}
}

// advisedError is what to do, then the error it explains, on one line.
type advisedError struct {
	what string
	err  error
}

func (e *advisedError) Error() string { return e.what + " (" + oneLine(e.err.Error()) + ")" }
func (e *advisedError) Unwrap() error { return e.err }
