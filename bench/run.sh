#!/usr/bin/env bash
# run.sh measures whole-process synth, Go against TypeScript: the Go app bench/goapp (the library's
# bluegreen.NewDeployment with its default green alarms) and the TypeScript app bench/ts (the same resources with
# aws-cdk-lib directly), each with N protected functions in one stack. Each run is one process started the way
# `cdk synth` starts an app (CDK_OUTDIR, CDK_CONTEXT_JSON with cdk.json's context and the CLI's own keys), so a run
# includes starting Node.js and loading aws-cdk-lib, but not the CDK CLI itself (the same for both apps).
#
#   bench/run.sh                 5 repetitions of N = 1, 10, 44, alternating Go and TypeScript (44 is the most one
#                                stack holds: 11 resources each, under CloudFormation's 500 per stack)
#   REPS=9 NS="1 10" bench/run.sh
#   NS="0 1 10 45" bench/run.sh  N = 0 synthesizes an empty stack in each language: the start-up floor of any CDK app
#                                (in Go: two Node.js processes and the jsii kernel loading aws-cdk-lib), no library code
#   GO_RUN=1 bench/run.sh        also time `go run ./bench/goapp` (what cdk.json's "go run" costs on top)
#   GO_APPS="old=/tmp/goapp-old" bench/run.sh
#                                also time other builds of bench/goapp (a library change before and after)
#   VALIDATION=off bench/run.sh  without the CloudFormation validation aws-cdk-lib runs at synth (CDK_VALIDATION=false),
#                                to see how much of a synth it takes
#
# It needs Go and Node.js with npm; it installs bench/ts with `npm ci` on first use. Nothing here is part of
# `go test ./...` or CI. It prints the median wall time per N, the cost of each additional function and the
# Go/TypeScript ratios, and checks before timing that both apps write the same template (CDKMetadata aside, which
# names the app's language) for every N.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
reps="${REPS:-5}"
read -r -a ns <<<"${NS:-1 10 44}"
work="$root/bench/out"
validation=true
[ "${VALIDATION:-on}" = off ] && validation=false
declare -A extra=()
for app in ${GO_APPS:-}; do extra["${app%%=*}"]="${app#*=}"; done
rm -rf "$work" && mkdir -p "$work/asset"
cd "$root"

# The same prebuilt handler for both apps (built once, outside the timings).
GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -ldflags=-buildid= -o "$work/asset/bootstrap" \
  ./examples/handlers/hello
go build -o "$work/goapp" ./bench/goapp
want="$(node -p "require('./bench/ts/package-lock.json').packages['node_modules/aws-cdk-lib'].version")"
have="$(node -p "try { require('./bench/ts/node_modules/aws-cdk-lib/package.json').version } catch { '' }")"
if [ "$have" != "$want" ]; then
  npm ci --prefix bench/ts --no-audit --no-fund --loglevel=error >&2
fi
(cd bench/ts && ./node_modules/.bin/tsc -p .)

# context N: cdk.json's context, the keys CDK CLI 2.1148.1 adds for `cdk synth`, and the benchmark's own.
context() {
  node -e '
    const c = require("./cdk.json").context;
    Object.assign(c, {
      "aws:cdk:enable-path-metadata": true, "aws:cdk:enable-asset-metadata": true,
      "aws:cdk:version-reporting": true, "aws:cdk:bundling-stacks": ["**"],
      "@aws-cdk/core:failSynthOnValidationErrors": false,
      "bench:functions": Number(process.argv[1]), "bench:asset": process.argv[2],
    });
    process.stdout.write(JSON.stringify(c));' "$1" "$work/asset"
}

# synth VARIANT N OUTDIR [TIMEFILE]: one synth process, its stderr kept in OUTDIR.err (Node.js end-of-life
# banners); with TIMEFILE, its wall, user and system seconds (the process and its children) are written there.
synth() {
  local out="$3"
  local -a cmd
  case "$1" in
    go) cmd=("$work/goapp") ;;
    gorun) cmd=(go run ./bench/goapp) ;;
    ts) cmd=(node bench/ts/lib/app.js) ;;
    *) cmd=("${extra[$1]}") ;;
  esac
  rm -rf "$out"
  local ctx status=0 TIMEFORMAT='%R %U %S'
  ctx="$(context "$2")"
  { time CDK_VALIDATION="$validation" CDK_OUTDIR="$out" CDK_CONTEXT_JSON="$ctx" CDK_DEFAULT_REGION=us-east-1 CDK_CLI_VERSION=2.1148.1 \
    CDK_CLI_ASM_VERSION=55.0.0 "${cmd[@]}" >/dev/null 2>"$out.err" || status=$?; } 2>"${4:-/dev/null}"
  if [ "$status" != 0 ]; then cat "$out.err" >&2; return 1; fi
}

# Fairness: the same template from both apps (CDKMetadata's analytics name the language), for every N.
strip() { node -e 'const t = require(process.argv[1]); delete t.Resources.CDKMetadata;
  process.stdout.write(JSON.stringify(t))' "$1"; }
for n in "${ns[@]}"; do
  synth go "$n" "$work/check-go-$n"
  synth ts "$n" "$work/check-ts-$n"
  if ! cmp -s <(strip "$work/check-go-$n/Bench.template.json") <(strip "$work/check-ts-$n/Bench.template.json"); then
    echo "N=$n: the Go and TypeScript templates differ; see $work/check-go-$n and $work/check-ts-$n" >&2
    exit 1
  fi
  node -e 'const t = require(process.argv[1]); const c = {};
    for (const r of Object.values(t.Resources)) c[r.Type] = (c[r.Type] || 0) + 1;
    console.log("N=" + process.argv[2] + ": same template from both apps, " + Object.keys(t.Resources).length +
      " resources: " + Object.entries(c).map(([k, v]) => v + " " + k).join(", "))' \
    "$work/check-go-$n/Bench.template.json" "$n"
done
rm -rf "$work"/check-*

variants=(go ts)
[ "${GO_RUN:-}" = 1 ] && variants+=(gorun)
variants+=("${!extra[@]}")
: >"$work/times"
for ((r = 1; r <= reps; r++)); do
  for n in "${ns[@]}"; do
    order=("${variants[@]}")
    if ((r % 2 == 0)); then # alternate which app goes first
      order=(); for ((i = ${#variants[@]} - 1; i >= 0; i--)); do order+=("${variants[i]}"); done
    fi
    for v in "${order[@]}"; do
      synth "$v" "$n" "$work/run" "$work/time"
      echo "$v $n $(cat "$work/time")" >>"$work/times"
    done
  done
  echo "repetition $r of $reps done" >&2
done

node - "$work/times" "$validation" <<'JS'
const lines = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').map(l => l.split(' '));
const wall = {}, cpu = {};
for (const [v, n, real, user, sys] of lines) {
  ((wall[v] ??= {})[n] ??= []).push(Math.round(1000 * Number(real)));
  ((cpu[v] ??= {})[n] ??= []).push(Math.round(1000 * (Number(user) + Number(sys))));
}
const median = a => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ns = Object.keys(wall.go).map(Number).sort((a, b) => a - b);
const variants = ['go', ...Object.keys(wall).filter(v => v !== 'go' && v !== 'ts')];
const ratio = (a, b) => (a / b).toFixed(2) + '×';
const report = (runs, what) => {
  const med = {};
  for (const v in runs) { med[v] = {}; for (const n of ns) med[v][n] = median(runs[v][n]); }
  console.log(`\n${what}, median of ${runs.go[ns[0]].length} runs in ms [min–max], and the ratio to TypeScript`);
  for (const n of ns) {
    const cell = v => `${v} ${med[v][n].toFixed(0)} [${Math.min(...runs[v][n])}–${Math.max(...runs[v][n])}]`;
    console.log(`N=${String(n).padEnd(3)} ${cell('ts')}  ` +
      variants.map(v => `${cell(v)} ${ratio(med[v][n], med.ts[n])}`).join('  '));
  }
  const a = ns.find(n => n >= 1) ?? ns[0]; // N = 0 is the floor, not a protected function
  for (const b of ns.filter(n => n > a)) {
    const per = v => (med[v][b] - med[v][a]) / (b - a);
    console.log(`each additional function (N=${a}→${b}): ts ${per('ts').toFixed(1)}  ` +
      variants.map(v => `${v} ${per(v).toFixed(1)} ${ratio(per(v), per('ts'))}`).join('  '));
  }
};
console.log(`\nwhole-process synth, CloudFormation validation ${process.argv[3] === 'true' ? 'on (as cdk synth runs it)' : 'off'}`);
report(wall, 'wall time');
report(cpu, 'CPU time (user + system, every process; steadier than wall time on a busy machine)');
JS
