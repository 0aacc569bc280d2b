#!/usr/bin/env bash
# prebuild.bash APP [HANDLER...] is run by ./cdkw, in the module root, before the CDK CLI runs `go run APP` (cdk.json).
# When Go has not compiled APP's dependencies yet (a fresh clone, empty Go caches, a new Go version), the CLI's
# go run would spend minutes compiling the AWS CDK's Go bindings (aws-cdk-go) without printing anything. So this
# script downloads the missing modules and compiles the app itself first, saying what it does and printing progress
# on stderr at least every CDKW_PROGRESS_INTERVAL seconds (20 by default; the tests set it to 1), and the CLI's
# go run then finds everything in the build cache. Then it compiles, the same way, the Lambda HANDLERs that the app
# builds with constructs/gobuild while it synthesizes (linux/arm64, with gobuild's flags and environment, so that
# gobuild's go build finds them in the cache): on empty caches that is another minute without output. When every
# dependency is built it prints nothing and costs two go list calls (about 1 s). Packages of this module alone
# being stale (an edit) build in seconds: left to go run. If go list fails for another reason than a module not
# downloaded yet, it does nothing, and go run, under the CLI, reports the error as before. The tests
# (internal/cdkw/prebuild_test.go) run it with a fake go command first on PATH.
set -euo pipefail
pkg="${1:?usage: prebuild.bash APP [HANDLER...]}"
shift
# No "${handlers[@]}" of an empty array: bash before 4.4 (macOS's is 3.2) takes it for an unset variable (set -u).
nhandlers=$#
handlers=("$@")
# What constructs/gobuild.Build sets for its go build (the default architecture, arm64), which the build cache
# keys on.
lambda_env=(CGO_ENABLED=0 GOOS=linux GOARCH=arm64 GOFLAGS= GOEXPERIMENT= GOARM64=v8.0 GOAMD64=v1)
lambda_flags=(-trimpath -tags=lambda.norpc)
interval="${CDKW_PROGRESS_INTERVAL:-20}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cdkw-prebuild.XXXXXX")"
child=""
trap 'if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT

# since START prints the time since START (a value of $SECONDS) as 45s or 2m05s.
since() {
  local s=$((SECONDS - $1))
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# run_watched LOG HANDLE REPORT CMD...: runs CMD with its output (stdout and stderr) going to LOG, calls HANDLE with each
# line of it as it comes, and REPORT every $interval seconds until CMD ends; returns CMD's exit status.
run_watched() {
  local log="$1" handle="$2" report="$3" last=$SECONDS status=0 line partial=""
  shift 3
  : >"$log"
  "$@" >"$log" 2>&1 &
  child=$!
  exec 3<"$log"
  drain() {
    # read fails at the end of the file, leaving in line what the command has written of its next line so far.
    while IFS= read -r line <&3; do
      "$handle" "$partial$line"
      partial=""
    done
    partial="$partial$line"
  }
  while kill -0 "$child" 2>/dev/null; do
    sleep 1
    drain
    if ((SECONDS - last >= interval)); then
      "$report"
      last=$SECONDS
    fi
  done
  wait "$child" || status=$?
  child=""
  drain
  if [ -n "$partial" ]; then "$handle" "$partial"; fi
  exec 3<&-
  return "$status"
}

# list_stale [FLAG...] PACKAGE...: the stale packages of a build, one a line: "PATH main" for this module's, "PATH" for the others (the standard
# library's and other modules').
list_stale() {
  go list -deps -f '{{if .Stale}}{{.ImportPath}}{{with .Module}}{{if .Main}} main{{end}}{{end}}{{end}}' "$@"
}

# Size in kB of the module download cache, where go mod download writes each zip file as it comes.
dlcache="$(go env GOMODCACHE 2>/dev/null || true)/cache/download"
cache_kb() {
  local k
  k="$(du -sk "$dlcache" 2>/dev/null)" || k=0
  echo "${k%%[[:space:]]*}"
}

modules=0
count_module() {
  case "$1" in
  "# get "*".zip: 200 OK"*) modules=$((modules + 1)) ;;
  "# "*) ;;
  *) printf '%s\n' "$1" >&2 ;; # an error
  esac
}
report_download() {
  echo "cdkw: downloading Go modules: $modules done, $((($(cache_kb) - kb0) / 1024)) MB so far, $(since "$t0")" >&2
}

# go build -v prints each package's import path as it compiles it; anything else it prints is an error.
compiled=0
count_package() {
  if [[ "$1" =~ ^[^[:space:]:#]+$ ]]; then
    compiled=$((compiled + 1))
  else
    printf '%s\n' "$1" >&2
  fi
}
report_build() {
  local n=$compiled
  if ((n > total)); then n=$total; fi
  echo "cdkw: building $building: $n of $total packages compiled, $(since "$t0") so far" >&2
}
# build_step WHAT STALE CMD...: when STALE (from list_stale) names a package from outside this module, runs CMD, a
# go build -v of WHAT, printing progress. Packages of this module alone being stale (an edit) build in seconds.
build_step() {
  local what="$1" stale="$2" deps
  shift 2
  deps="$(grep -v ' main$' <<<"$stale" | grep -c . || true)"
  if [ "$deps" -eq 0 ]; then
    return 0
  fi
  total="$(grep -c . <<<"$stale" || true)"
  if grep -q '^github.com/aws/aws-cdk-go/' <<<"$stale"; then
    gocache="$(go env GOCACHE 2>/dev/null || echo 'the Go build cache')"
    cat >&2 <<NOTE
cdkw: first build of $what: Go compiles $total packages, most of them the AWS CDK's Go bindings (aws-cdk-go),
      before the CDK CLI can run it. This takes about 3 minutes of 2 cores (5 CPU-minutes; longer on a busy
      machine), up to about 1.1 GB of memory per compiler process, and about 0.7 GB in $gocache.
      Progress follows every ${interval} s; later runs reuse the cache.
NOTE
  else
    echo "cdkw: building $what: $total packages to compile" >&2
  fi
  building="$what"
  compiled=0
  t0=$SECONDS
  if ! run_watched "$tmp/build.log" count_package report_build "$@"; then
    echo "cdkw: building $what failed after $(since "$t0") (above)" >&2
    exit 1
  fi
  echo "cdkw: built $what ($compiled packages compiled) in $(since "$t0")" >&2
  built=true
}

# main is the script; as a function, bash reads it whole before running it, so that an edit of this file (a git pull)
# during a build cannot change what runs.
main() {
  # With GOPROXY=off, a module not downloaded yet makes go list fail at once instead of downloading it silently.
  if ! stale="$(GOPROXY=off list_stale "$pkg" 2>"$tmp/list.err")"; then
    if ! grep -q 'GOPROXY=off' "$tmp/list.err"; then
      exit 0
    fi
    echo "cdkw: downloading the Go modules the app and its tests need (about 120 MB to download, 0.5 GB in" \
      "the module cache, most of it aws-cdk-go) into ${dlcache%/cache/download}" >&2
    t0=$SECONDS
    kb0="$(cache_kb)"
    if ! run_watched "$tmp/download.log" count_module report_download go mod download -x; then
      echo "cdkw: go mod download failed (above)" >&2
      exit 1
    fi
    echo "cdkw: downloaded Go modules ($modules, $((($(cache_kb) - kb0) / 1024)) MB) in $(since "$t0")" >&2
    stale="$(GOPROXY=off list_stale "$pkg" 2>/dev/null)" || exit 0
  fi

  built=false
  build_step "the app" "$stale" go build -v -o /dev/null "$pkg"
  if [ "$nhandlers" -gt 0 ] &&
    stale="$(env "${lambda_env[@]}" GOPROXY=off go list -deps "${lambda_flags[@]}" \
      -f '{{if .Stale}}{{.ImportPath}}{{with .Module}}{{if .Main}} main{{end}}{{end}}{{end}}' ${handlers[@]+"${handlers[@]}"} 2>/dev/null)"; then
    build_step "the app's Lambda handlers (linux/arm64)" "$stale" \
      env "${lambda_env[@]}" go build -v "${lambda_flags[@]}" -buildvcs=false ${handlers[@]+"${handlers[@]}"}
  fi
  if [ "$built" = true ]; then
    echo "cdkw: the CDK CLI runs the app now" >&2
  fi
}

main
