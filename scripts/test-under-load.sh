#!/usr/bin/env bash
# `pnpm test:under-load [JEST ARGS]` (issue 14): does the suite hold on a loaded machine? Runs
# `pnpm test` twice in a row while `pnpm bench:raft` (a 3-process Raft cluster driven flat out,
# fsync on) runs beside it the whole time, restarted round after round. Exits 0 only when both
# runs pass and the benchmark really ran beside them. Prints each run's summary line; the full
# outputs stay in the directory it names. Not part of `pnpm test`: it takes two full runs
# (about 2 x 6 min on 2 cores, more under the load). JEST ARGS narrow both runs, e.g.
# `pnpm test:under-load tests/src/coordinator-failover.test.ts`.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d "${TMPDIR:-/tmp}/quorumlock-under-load-XXXXXX")
mkdir -p "$OUT/bench-tmp"

pnpm -s build || { echo "under load: build failed"; exit 1; }

# The benchmark in a process group of its own (setsid), so the trap ends it with every kv-node
# it started, and nothing else; its temporary data dirs go under $OUT.
TMPDIR="$OUT/bench-tmp" setsid bash -c 'while :; do node scripts/dist/bench-raft.js --rounds 1 --seconds 20 || sleep 1; done' >"$OUT/bench.log" 2>&1 &
BENCH=$!
stop_bench() {
  kill -TERM -- "-$BENCH" 2>/dev/null
  for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 -- "-$BENCH" 2>/dev/null || break; sleep 0.5; done
  kill -KILL -- "-$BENCH" 2>/dev/null
  rm -rf "$OUT/bench-tmp"
}
trap stop_bench EXIT
trap 'exit 130' INT TERM

passed=0
for run in 1 2; do
  benchBefore=$(grep -c '^{' "$OUT/bench.log")
  pnpm test "$@" >"$OUT/test-$run.log" 2>&1
  rc=$?
  benchAfter=$(grep -c '^{' "$OUT/bench.log")
  summary=$(grep -E '^(FAILED$|[0-9]+ passed, [0-9]+ failed)' "$OUT/test-$run.log" | tr '\n' ' ')
  echo "run $run: exit $rc, benchmark rounds finished meanwhile: $((benchAfter - benchBefore)); ${summary:-no jest summary line (see test-$run.log)}"
  [ "$rc" -eq 0 ] && passed=$((passed + 1))
done
rounds=$(grep -c '^{' "$OUT/bench.log")
echo "outputs: $OUT (test-1.log, test-2.log, bench.log)"
# A benchmark that died at once would make this a quiet run, not a loaded one.
if [ "$rounds" -lt 2 ]; then
  echo "FAILED: the benchmark finished only $rounds rounds beside the tests (see $OUT/bench.log)"
  exit 1
fi
if [ "$passed" -ne 2 ]; then
  echo "FAILED: $passed of 2 runs passed under load"
  exit 1
fi
echo "under load: 2 of 2 runs passed beside $rounds benchmark rounds"
