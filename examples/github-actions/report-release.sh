#!/usr/bin/env bash
# report-release.sh STACK [ASSEMBLY]: says why a deploy of STACK failed, for each blue/green deployment in it.
#
# CloudFormation updates each protected alias through CodeDeploy and waits for it; when CodeDeploy rolls a release
# back (an alarm fired, a hook failed, someone stopped it), the alias update fails and so does `cdk deploy`. For every
# alias of STACK that CloudFormation updates through CodeDeploy (listed from the cloud assembly ASSEMBLY, default
# cdk.out, by examples/github-actions/releases), this prints the operator command's status (alias weights, the
# group's newest CodeDeploy deployment and its lifecycle events, every rollback alarm's state), then CodeDeploy's own
# reason for the newest deployment, also as a GitHub error annotation when it failed or was stopped.
#
# Run it from the repository's root with read access to the stack's account and region (the workflow assumes the CDK
# bootstrap stack's lookup role, which has ReadOnlyAccess). Needs the AWS CLI and Go. BLUEGREEN and RELEASES override
# the two Go commands (default: go run ./cmd/bluegreen, go run ./examples/github-actions/releases).
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

# read_deployment ID sets status, error_code, error_message, rollback (rollbackInfo's message) and rolls_back (the
# deployment this one rolls back, or None) from CodeDeploy's GetDeployment; it fails when the deployment cannot be read.
read_deployment() {
  local why
  why="$(aws deploy get-deployment --deployment-id "$1" --output text --query \
    'deploymentInfo.[status, errorInformation.code, errorInformation.message, rollbackInfo.rollbackMessage, rollbackInfo.rollbackTriggeringDeploymentId]' \
    </dev/null)" || return 1
  IFS=$'\t' read -r status error_code error_message rollback rolls_back <<<"$why"
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
  echo "bluegreen status -function $fn_name -alias $alias -application $app_name -group $group_name"
  "${bluegreen[@]}" status -function "$fn_name" -alias "$alias" -application "$app_name" -group "$group_name" </dev/null ||
    code=1
  # The deployment group's lastAttemptedDeployment is its newest deployment; CodeDeploy keeps why it failed in
  # errorInformation and what it did about it in rollbackInfo.
  if ! last="$(aws deploy get-deployment-group --application-name "$app_name" --deployment-group-name "$group_name" \
    --query 'deploymentGroupInfo.lastAttemptedDeployment.[deploymentId, status]' --output text </dev/null)"; then
    echo "$path: could not read the deployment group $group_name"
    echo "::endgroup::"
    code=1
    continue
  fi
  read -r id status <<<"$last"
  if [ -z "$id" ] || [ "$id" = "None" ]; then
    echo "$path: CodeDeploy has run no deployment for this alias: the deploy failed before the alias update"
    echo "::endgroup::"
    continue
  fi
  # A rollback is a deployment of its own ("CodeDeploy rolls back deployments by redeploying a previously deployed
  # revision … as a new deployment", CodeDeploy user guide): when the newest one is CodeDeploy's rollback, report the
  # release it rolled back (rollbackInfo.rollbackTriggeringDeploymentId), not the rollback's success.
  if ! read_deployment "$id"; then
    echo "$path: could not read CodeDeploy deployment $id"
    echo "::endgroup::"
    code=1
    continue
  fi
  if [ -n "$rolls_back" ] && [ "$rolls_back" != "None" ] && [ "$rolls_back" != "$id" ]; then
    echo "CodeDeploy deployment $id ($status) rolls back deployment $rolls_back: reporting $rolls_back"
    id="$rolls_back"
    if ! read_deployment "$id"; then
      echo "$path: could not read CodeDeploy deployment $id"
      echo "::endgroup::"
      code=1
      continue
    fi
  fi
  echo "CodeDeploy deployment $id: $status"
  echo "  error:    $error_code: $error_message"
  echo "  rollback: $rollback"
  echo "::endgroup::"
  case "$status" in
  Failed | Stopped)
    annotate "Blue/green release rolled back" "$path ($fn_name:$alias): CodeDeploy deployment $id $status: $error_code: $error_message. $rollback"
    ;;
  *)
    echo "$path: the newest CodeDeploy deployment is $status; the deploy failed for another reason (see the CloudFormation events above)"
    ;;
  esac
done 3<<<"$list"
exit "$code"
