#!/usr/bin/env bash
# Run an eventgate CLI command: ./scripts/gateway.sh <command> [args...]
#   commands: serve, token, publish, connect (see the jar's own help)
#
# Same JDK selection and build-if-needed as run.sh, then
#   java -jar gateway-server/target/gateway.jar "$@"
# Build output goes to stderr, so `TOKEN=$(./scripts/gateway.sh token ...)` works.
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib/common.sh"

if (($# == 0)); then
  echo "usage: $(basename "$0") <command> [args...]   (commands: serve, token, publish, connect)" >&2
  exit 2
fi

find_jdk
find_maven
ensure_gateway_jar

exec "$JAVA_HOME/bin/java" -jar "$EVENTGATE_JAR" "$@"
