#!/usr/bin/env bash
# Build and test everything: ./scripts/test.sh [extra maven args...]
#
# Picks a JDK >= 21 and Maven, makes sure PostgreSQL (127.0.0.1:5432, database
# eventgate_test) and Redis (127.0.0.1:6379) answer - starting them if needed, never
# stopping them - and that Chromium is installed (the browser test), then runs `mvn -B verify "$@"` from the repo root: unit tests via
# Surefire, *IT via Failsafe. Ends with one line "tests: N passed, N failed, N skipped"
# and exits with Maven's exit code.
# EVENTGATE_SKIP_SERVICES=1 skips the service checks (unit tests only, e.g. -DskipITs).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

find_jdk
find_maven

if [[ ${EVENTGATE_SKIP_SERVICES:-0} != 1 ]]; then
  if ! ensure_postgres; then
    eg_err "PostgreSQL is needed by the integration tests (set EVENTGATE_SKIP_SERVICES=1 to skip this check)"
    exit 1
  fi
  if ! ensure_redis; then
    eg_err "Redis is needed by the integration tests (set EVENTGATE_SKIP_SERVICES=1 to skip this check)"
    exit 1
  fi
fi

if ! ensure_chromium; then
  exit 1
fi

export MAVEN_OPTS=${MAVEN_OPTS:--Xmx1g}

cd "$EVENTGATE_ROOT"

# Reports written after this marker belong to this run.
marker=$(mktemp "${TMPDIR:-/tmp}/eventgate-test.XXXXXX")
trap 'rm -f "$marker"' EXIT

start=$SECONDS
rc=0
"$MVN" -B --no-transfer-progress verify "$@" || rc=$?
elapsed=$((SECONDS - start))

# Sum the Surefire and Failsafe XML reports of this run.
total=0 failed=0 skipped=0
while IFS= read -r -d '' report; do
  head=$(grep -m1 -o '<testsuite [^>]*>' "$report" 2>/dev/null || true)
  [[ -n $head ]] || continue
  t=0 f=0 e=0 s=0
  [[ $head =~ [[:space:]]tests=\"([0-9]+)\" ]] && t=${BASH_REMATCH[1]}
  [[ $head =~ [[:space:]]failures=\"([0-9]+)\" ]] && f=${BASH_REMATCH[1]}
  [[ $head =~ [[:space:]]errors=\"([0-9]+)\" ]] && e=${BASH_REMATCH[1]}
  [[ $head =~ [[:space:]]skipped=\"([0-9]+)\" ]] && s=${BASH_REMATCH[1]}
  total=$((total + t))
  failed=$((failed + f + e))
  skipped=$((skipped + s))
done < <(find . -path '*/target/surefire-reports/TEST-*.xml' -newer "$marker" -print0 \
  -o -path '*/target/failsafe-reports/TEST-*.xml' -newer "$marker" -print0 2>/dev/null)
passed=$((total - failed - skipped))

if ((rc != 0)); then
  eg_err "mvn verify failed with exit code $rc after ${elapsed}s"
else
  eg_log "mvn verify succeeded after ${elapsed}s"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
