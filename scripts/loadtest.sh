#!/usr/bin/env bash
# Load tests: ./scripts/loadtest.sh <smoke|idle|targeted|broadcast|durable|reconnect-storm|cross-node|cluster-capacity|report> [options]   (--help lists them)
#
# Picks a JDK >= 21 (scripts/lib/common.sh), builds loadtest/target/loadtest.jar when it is missing or
# older than loadtest/pom.xml or anything under loadtest/src, builds gateway-server/target/gateway.jar
# the same way when --start-gateway asks for a local eventgate, runs `npm install` in loadtest/peers
# when a Node peer (--target ws|socketio) is to be started, then runs the harness.
# EVENTGATE_LOADTEST_JAVA_OPTS replaces the harness JVM options (default -Xmx3g).
# EVENTGATE_LOADTEST_NO_BUILD=1 skips the staleness checks and uses the jars as they are (they must exist).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

root=$EVENTGATE_ROOT
jar=$root/loadtest/target/loadtest.jar

start_server=0
target=eventgate
command=${1:-}
prev=""
for arg in "$@"; do
  case $arg in
    --start-gateway) start_server=1 ;;
    --target=*) target=${arg#--target=} ;;
  esac
  if [[ $prev == --target ]]; then
    target=$arg
  fi
  prev=$arg
done

find_jdk

loadtest_stale() {
  local newer
  if [[ ! -f $jar ]]; then
    echo "missing"
    return 0
  fi
  newer=$(find "$root/pom.xml" "$root/loadtest/pom.xml" "$root/loadtest/src/main" -newer "$jar" -print -quit 2>/dev/null || true)
  if [[ -n $newer ]]; then
    echo "${newer#"$root"/} is newer"
    return 0
  fi
  return 1
}

no_build=${EVENTGATE_LOADTEST_NO_BUILD:-0}
if [[ $no_build != 1 ]] && reason=$(loadtest_stale); then
  find_maven
  eg_log "building $jar ($reason): mvn -B -q -pl loadtest -am package -DskipTests"
  (cd "$root" && "$MVN" -B -q -pl loadtest -am package -DskipTests >&2) || {
    eg_err "the loadtest build failed (see above)"
    exit 1
  }
fi

if [[ $command != report && $command != worker ]] && ((start_server)); then
  case $target in
    eventgate)
      if [[ $no_build != 1 ]]; then
        find_maven
        ensure_gateway_jar
      fi
      ;;
    ws | socketio)
      if ! eg_have node || ! eg_have npm; then
        eg_err "--target $target needs Node.js and npm (Debian: apt-get install nodejs npm)"
        exit 1
      fi
      peers=$root/loadtest/peers
      if [[ ! -d $peers/node_modules ]] || [[ $peers/package-lock.json -nt $peers/node_modules/.package-lock.json ]] ||
        [[ $peers/package.json -nt $peers/node_modules/.package-lock.json ]]; then
        eg_log "installing the Node peers' packages: (cd loadtest/peers && npm install --no-audit --no-fund)"
        (cd "$peers" && npm install --no-audit --no-fund >&2) || {
          eg_err "npm install failed in $peers"
          exit 1
        }
      fi
      ;;
  esac
fi

java_opts=()
if [[ -n ${EVENTGATE_LOADTEST_JAVA_OPTS:-} ]]; then
  read -r -a java_opts <<<"$EVENTGATE_LOADTEST_JAVA_OPTS"
else
  java_opts=(-Xmx3g)
  if ((EVENTGATE_JAVA_MAJOR >= 25)); then
    java_opts+=(-XX:+UseCompactObjectHeaders)
  fi
fi
if ((EVENTGATE_JAVA_MAJOR >= 22)); then
  java_opts+=(--enable-native-access=ALL-UNNAMED)
fi

cd "$root"
exec "$JAVA_HOME/bin/java" "${java_opts[@]}" -jar "$jar" "$@"
