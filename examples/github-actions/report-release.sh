#!/usr/bin/env bash
# report-release.sh STACK [ASSEMBLY]: says why a deploy of STACK failed, for each blue/green deployment in it.
#
# CloudFormation updates each protected alias through CodeDeploy and waits for it; when CodeDeploy rolls a release
# back (an alarm fired, a hook failed, someone stopped it), the alias update fails and so does `cdk deploy`. For every
# alias of STACK that CloudFormation updates through CodeDeploy (listed from the cloud assembly ASSEMBLY, default
# cdk.out, by examples/github-actions/releases), this prints the operator command's status -json (alias weights, the
# group's newest CodeDeploy deployment explained, every rollback alarm's state), then the release's outcome and
# CodeDeploy's reason, also as a GitHub error annotation when it failed or was stopped. The script reads no CodeDeploy
# answer itself: bluegreen status reads the deployment, and when the newest one is CodeDeploy's rollback, names the
# release it belongs to (deployment.release), which the group's lastAttemptedDeployment would hide.
#
# Run it from the repository's root with read access to the stack's account and region (the workflow assumes the CDK
# bootstrap stack's lookup role, which has ReadOnlyAccess). Needs the AWS CLI (for the stack's physical names), jq and
# Go. BLUEGREEN and RELEASES override the two Go commands (default: go run ./cmd/bluegreen, go run
# ./examples/github-actions/releases).
# Exit codes: 0 reported (or nothing to report), 1 something could not be read, 2 bad usage.
set -uo pipefail

stack="${1:-}"
assembly="${2:-cdk.out}"
if [ -z "$stack" ]; then
  echo "usage: report-release.sh STACK [ASSEMBLY]" >&2
  exit 2
fi
read -r -a bluegreen <<<"${BLUEGREEN:-go run ./cmd/bluegreen}"
read -r -a releases <<<"${RELEASES:-go run ./examples/github-actions/releases}"

# field NAME prints the string field NAME of the deployment to report, from the status document in $status ("" when
# absent): the release a rollback belongs to (.deployment.release) when there is one, else the newest deployment.
field() {
  jq -r --arg name "$1" '(.deployment.release // .deployment // {})[$name] // "" | tostring' <<<"$status"
}

# annotate prints a GitHub Actions error annotation, escaped as workflow commands require (%, CR, LF).
annotate() {
  local msg="$2"
  msg="${msg//'%'/%25}"
  msg="${msg//$'\r'/%0D}"
  msg="${msg//$'\n'/%0A}"
  echo "::error title=$1::$msg"
}

# physical prints the physical name of a logical id of the stack, or NAME for =NAME.
physical() {
  case "$1" in
  =*) printf '%s\n' "${1#=}" ;;
  *) aws cloudformation describe-stack-resource --stack-name "$stack" --logical-resource-id "$1" \
    --query StackResourceDetail.PhysicalResourceId --output text </dev/null ;;
  esac
}

if ! list="$("${releases[@]}" "$assembly" "$stack" </dev/null)"; then
  echo "report-release: could not list the blue/green deployments of $stack in $assembly"
  exit 1
fi
if [ -z "$list" ]; then
  echo "report-release: $stack has no blue/green deployment; see the CloudFormation events above"
  exit 0
fi

code=0
while IFS=$'\t' read -r path alias fn app group <&3; do
  echo "::group::$path"
  if ! fn_name="$(physical "$fn")" || ! app_name="$(physical "$app")" || ! group_name="$(physical "$group")"; then
    echo "$path: could not read the names CloudFormation gave its function and CodeDeploy group (after a failed first" \
      "deploy CloudFormation deletes the stack's resources: there was no blue to roll back to)"
    echo "::endgroup::"
    code=1
    continue
  fi
  echo "bluegreen status -json -function $fn_name -alias $alias -application $app_name -group $group_name"
  if ! status="$("${bluegreen[@]}" status -json -function "$fn_name" -alias "$alias" -application "$app_name" \
    -group "$group_name" </dev/null)" || ! jq -e . >/dev/null 2>&1 <<<"$status"; then
    echo "$path: could not read the status of $fn_name:$alias and its deployment group $group_name"
    echo "::endgroup::"
    code=1
    continue
  fi
  printf '%s\n' "$status"
  newest="$(jq -r '.deployment.id // ""' <<<"$status")"
  if [ -z "$newest" ]; then
    echo "$path: CodeDeploy has run no deployment for this alias: the deploy failed before the alias update"
    echo "::endgroup::"
    continue
  fi
  id="$(field id)"
  state="$(field status)"
  error_code="$(field errorCode)"
  error_message="$(field errorMessage)"
  rollback="$(field rollbackMessage)"
  if [ "$id" != "$newest" ]; then
    echo "CodeDeploy deployment $newest ($(jq -r '.deployment.status' <<<"$status")) rolls back deployment $id: reporting $id"
  fi
  echo "CodeDeploy deployment $id: $state"
  echo "  error:    $error_code: $error_message"
  echo "  rollback: $rollback"
  echo "::endgroup::"
  case "$state" in
  Failed | Stopped)
    annotate "Blue/green release rolled back" "$path ($fn_name:$alias): CodeDeploy deployment $id $state: $error_code: $error_message. $rollback"
    ;;
  *)
    echo "$path: the newest CodeDeploy deployment is $state; the deploy failed for another reason (see the CloudFormation events above)"
    ;;
  esac
done 3<<<"$list"
exit "$code"
