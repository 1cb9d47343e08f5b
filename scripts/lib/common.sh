# shellcheck shell=bash
# Shared helpers for eventgate's scripts. Source it; do not run it.
#
#   find_jdk          pick a JDK >= 21 (javac included), export JAVA_HOME/PATH
#   find_maven        locate mvn (exported as MVN)
#   ensure_postgres   make PostgreSQL answer on 127.0.0.1 and create the test database
#   ensure_redis      make Redis answer PING on 127.0.0.1
#   ensure_gateway_jar  build gateway-server/target/gateway.jar when missing or stale
#
# Overridable through the environment (mostly for testing):
#   EVENTGATE_JVM_DIR      where JDKs are looked for        (default /usr/lib/jvm)
#   EVENTGATE_MIN_JDK      lowest acceptable major version  (default 21)
#   EVENTGATE_PG_PORT      PostgreSQL port                  (default 5432)
#   EVENTGATE_PG_DB        database ensure_postgres creates (default eventgate_test)
#   EVENTGATE_REDIS_PORT   Redis port                       (default 6379)
#
# The shared services are only ever started, never stopped.

if [[ -n ${EVENTGATE_COMMON_SH_LOADED:-} ]]; then
  return 0
fi
EVENTGATE_COMMON_SH_LOADED=1

_eg_lib_dir=${BASH_SOURCE[0]%/*}
if [[ $_eg_lib_dir == "${BASH_SOURCE[0]}" ]]; then
  _eg_lib_dir=.
fi
EVENTGATE_ROOT=$(cd "$_eg_lib_dir/../.." && pwd -P)
unset _eg_lib_dir
export EVENTGATE_ROOT

eg_log() { printf 'eventgate: %s\n' "$*" >&2; }
eg_err() { printf 'eventgate: ERROR: %s\n' "$*" >&2; }
eg_have() { command -v "$1" >/dev/null 2>&1; }

# Run a command as root: directly when we are root, else through `sudo -n`.
eg_as_root() {
  if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
    "$@"
  elif eg_have sudo && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    eg_err "need root (or password-less sudo) to run: $*"
    return 1
  fi
}

eg_can_apt_install() {
  [[ ${EUID:-$(id -u)} -eq 0 ]] && eg_have apt-get
}

# Install Debian packages (root + apt-get only).
eg_apt_install() {
  eg_log "installing $* with apt-get"
  apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# Chromium for the browser test (BrowserSseIT): Debian's package, installed when missing.
# EVENTGATE_CHROMIUM names another binary.
ensure_chromium() {
  local chromium=${EVENTGATE_CHROMIUM:-/usr/bin/chromium}
  [[ -x $chromium ]] && return 0
  if eg_can_apt_install; then
    eg_apt_install chromium && [[ -x $chromium ]] && return 0
  fi
  eg_err "Chromium ($chromium) is needed by the browser test: apt-get install chromium (as root)"
  return 1
}

# eg_wait_for SECONDS CMD...: retry CMD every 0.5 s until it succeeds or time is up.
eg_wait_for() {
  local seconds=$1 deadline
  shift
  deadline=$((SECONDS + seconds))
  while :; do
    if "$@"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 0.5
  done
}

# True when something accepts a TCP connection on 127.0.0.1:PORT.
eg_tcp_open() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# ---------------------------------------------------------------- JDK

# Print the version string that `JAVA -version` reports ("17.0.15", "25", "1.8.0_392", "26-ea").
eg_java_version() {
  local java_bin=$1 out line
  [[ -x $java_bin ]] || return 1
  out=$(timeout 30 "$java_bin" -version 2>&1) || return 1
  while IFS= read -r line; do
    # skips e.g. "Picked up JAVA_TOOL_OPTIONS: ..." lines
    if [[ $line =~ version\ \"([^\"]+)\" ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done <<<"$out"
  return 1
}

# Print the major version of a version string: 17.0.15 -> 17, 25 -> 25, 1.8.0_392 -> 8.
eg_version_major() {
  local v=$1
  if [[ $v == 1.* ]]; then
    v=${v#1.}
  fi
  [[ $v =~ ^([0-9]+) ]] || return 1
  printf '%d\n' "$((10#${BASH_REMATCH[1]}))"
}

# True when version A is newer than version B (numeric, component by component).
eg_version_gt() {
  local a=$1 b=$2 i x y
  local -a pa pb
  a=${a#1.}
  b=${b#1.}
  read -r -a pa <<<"${a//[^0-9]/ }"
  read -r -a pb <<<"${b//[^0-9]/ }"
  for ((i = 0; i < 4; i++)); do
    x=${pa[i]:-0}
    y=${pb[i]:-0}
    if ((10#$x > 10#$y)); then
      return 0
    elif ((10#$x < 10#$y)); then
      return 1
    fi
  done
  return 1
}

# eg_check_jdk HOME: true when HOME/bin/java and HOME/bin/javac exist and java
# reports a major >= EVENTGATE_MIN_JDK. Sets EG_CAND_VERSION / EG_CAND_MAJOR / EG_CAND_WHY.
eg_check_jdk() {
  local home=$1 min=${EVENTGATE_MIN_JDK:-21}
  EG_CAND_VERSION=""
  EG_CAND_MAJOR=0
  EG_CAND_WHY=""
  if [[ ! -x $home/bin/java ]]; then
    EG_CAND_WHY="no bin/java"
    return 1
  fi
  if ! EG_CAND_VERSION=$(eg_java_version "$home/bin/java"); then
    EG_CAND_WHY="bin/java -version gave no version"
    return 1
  fi
  if ! EG_CAND_MAJOR=$(eg_version_major "$EG_CAND_VERSION"); then
    EG_CAND_MAJOR=0
    EG_CAND_WHY="unparsable version '$EG_CAND_VERSION'"
    return 1
  fi
  if ((EG_CAND_MAJOR < min)); then
    EG_CAND_WHY="version $EG_CAND_VERSION < $min"
    return 1
  fi
  if [[ ! -x $home/bin/javac ]]; then
    EG_CAND_WHY="version $EG_CAND_VERSION but no bin/javac (a JRE?)"
    return 1
  fi
  return 0
}

# Choose a JDK >= 21: JAVA_HOME, then java on PATH, then the newest under
# EVENTGATE_JVM_DIR (/usr/lib/jvm). Exports JAVA_HOME, PATH, EVENTGATE_JAVA_VERSION
# and EVENTGATE_JAVA_MAJOR. Exits 1 when there is none.
find_jdk() {
  local jvm_dir=${EVENTGATE_JVM_DIR:-/usr/lib/jvm}
  local chosen="" chosen_version="" chosen_major=0 java_on_path home dir
  local -a seen=()

  if [[ -n ${JAVA_HOME:-} ]]; then
    home=${JAVA_HOME%/}
    if eg_check_jdk "$home"; then
      chosen=$home chosen_version=$EG_CAND_VERSION chosen_major=$EG_CAND_MAJOR
    else
      seen+=("JAVA_HOME=$home: ${EG_CAND_WHY:-not usable}")
    fi
  fi

  if [[ -z $chosen ]] && java_on_path=$(command -v java 2>/dev/null); then
    home=$(readlink -f "$java_on_path" 2>/dev/null || printf '%s' "$java_on_path")
    home=$(dirname "$(dirname "$home")")
    if eg_check_jdk "$home"; then
      chosen=$home chosen_version=$EG_CAND_VERSION chosen_major=$EG_CAND_MAJOR
    else
      seen+=("java on PATH ($java_on_path -> $home): ${EG_CAND_WHY:-not usable}")
    fi
  fi

  if [[ -z $chosen && -d $jvm_dir ]]; then
    for dir in "$jvm_dir"/*/; do
      [[ -d $dir ]] || continue
      dir=${dir%/}
      [[ -x $dir/bin/javac ]] || continue
      if eg_check_jdk "$dir"; then
        if [[ -z $chosen ]] || eg_version_gt "$EG_CAND_VERSION" "$chosen_version"; then
          chosen=$dir chosen_version=$EG_CAND_VERSION chosen_major=$EG_CAND_MAJOR
        fi
      else
        seen+=("$dir: ${EG_CAND_WHY:-not usable}")
      fi
    done
  fi

  if [[ -z $chosen ]]; then
    {
      echo "eventgate needs a JDK >= ${EVENTGATE_MIN_JDK:-21} (javac included). None found in JAVA_HOME, PATH or $jvm_dir. Install one, e.g. a Temurin 21+ package, or set JAVA_HOME."
      local s
      for s in "${seen[@]}"; do
        echo "  skipped $s"
      done
    } >&2
    exit 1
  fi

  export JAVA_HOME=$chosen
  case ":$PATH:" in
    ":$JAVA_HOME/bin:"*) ;;
    *) export PATH="$JAVA_HOME/bin:$PATH" ;;
  esac
  export EVENTGATE_JAVA_VERSION=$chosen_version
  export EVENTGATE_JAVA_MAJOR=$chosen_major
  echo "using JDK $chosen_version at $chosen" >&2
}

# ---------------------------------------------------------------- Maven

find_maven() {
  local mvn
  if ! mvn=$(command -v mvn 2>/dev/null); then
    eg_err "Apache Maven (mvn) is not on PATH. Install it (Debian: apt-get install maven) or add its bin directory to PATH."
    exit 1
  fi
  export MVN=$mvn
  # Modest default heap (2 shared cores); on JDK >= 24 also silence the sun.misc.Unsafe
  # warnings that Maven 3.8's own Guava prints on every run. Call find_jdk first.
  if [[ -z ${MAVEN_OPTS:-} ]]; then
    MAVEN_OPTS=-Xmx1g
    if ((${EVENTGATE_JAVA_MAJOR:-0} >= 24)); then
      MAVEN_OPTS+=" --sun-misc-unsafe-memory-access=allow"
    fi
    export MAVEN_OPTS
  fi
  eg_log "using Maven at $MVN (MAVEN_OPTS=$MAVEN_OPTS)"
}

# ---------------------------------------------------------------- gateway.jar

# Build the fat jar with `mvn -B -q -DskipTests package` when it is missing or when
# any pom.xml or anything under */src is newer. Needs find_jdk and find_maven first.
# Maven's output goes to stderr so that CLI output on stdout stays clean.
ensure_gateway_jar() {
  local root=$EVENTGATE_ROOT
  local jar=$root/gateway-server/target/gateway.jar
  local lock fd reason

  lock="${TMPDIR:-/tmp}/eventgate-build-$(printf '%s' "$root" | cksum | cut -d' ' -f1).lock"
  # serialise concurrent builds of the same work tree (run.sh and gateway.sh at once)
  fd=""
  if eg_have flock && { [[ -w $lock ]] || [[ ! -e $lock ]]; }; then
    exec {fd}>>"$lock"
    flock "$fd"
  fi

  if reason=$(eg_jar_stale "$root" "$jar"); then
    eg_log "building $jar ($reason): mvn -B -q -DskipTests package"
    if ! (cd "$root" && "$MVN" -B -q -DskipTests package >&2); then
      eg_unlock "$fd"
      eg_err "the Maven build failed (see above)"
      exit 1
    fi
    if [[ ! -f $jar ]]; then
      eg_unlock "$fd"
      eg_err "the build succeeded but $jar is missing"
      exit 1
    fi
  fi
  eg_unlock "$fd"
  # shellcheck disable=SC2034 # read by the sourcing script
  EVENTGATE_JAR=$jar
}

eg_unlock() {
  local fd=$1
  if [[ -n $fd ]]; then
    exec {fd}>&-
  fi
}

# Print why the jar needs a build and return 0, or return 1 when it is up to date.
eg_jar_stale() {
  local root=$1 jar=$2 newer p d
  local -a srcs=() poms=()
  if [[ ! -f $jar ]]; then
    echo "missing"
    return 0
  fi
  for p in "$root"/pom.xml "$root"/*/pom.xml; do
    if [[ -f $p ]]; then
      poms+=("$p")
    fi
  done
  for d in "$root"/*/src; do
    if [[ -d $d ]]; then
      srcs+=("$d")
    fi
  done
  newer=$(find "${poms[@]}" "${srcs[@]}" -newer "$jar" -print -quit 2>/dev/null || true)
  if [[ -n $newer ]]; then
    echo "${newer#"$root"/} is newer"
    return 0
  fi
  return 1
}

# ---------------------------------------------------------------- URLs

# eg_url_parts URL: sets EG_URL_HOST, EG_URL_PORT and EG_URL_PATH (first path segment)
# for URLs like redis://:pw@localhost:6379/0 or jdbc:postgresql://127.0.0.1:5432/db?x=y
eg_url_parts() {
  local url=$1 rest auth
  rest=${url#*://}
  auth=${rest%%[/?#]*}
  rest=${rest#"$auth"}
  auth=${auth##*@}
  if [[ $auth == \[* ]]; then
    EG_URL_HOST=${auth%%]*}
    EG_URL_HOST=${EG_URL_HOST#[}
    EG_URL_PORT=${auth#*]}
  else
    EG_URL_HOST=${auth%%:*}
    EG_URL_PORT=${auth#"$EG_URL_HOST"}
  fi
  EG_URL_PORT=${EG_URL_PORT#:}
  rest=${rest#/}
  # shellcheck disable=SC2034 # read by the sourcing script
  EG_URL_PATH=${rest%%[/?#]*}
}

eg_is_local_host() {
  case $1 in
    localhost | 127.0.0.1 | ::1) return 0 ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------- PostgreSQL

eg_pg_ready() {
  local port=${1:-${EVENTGATE_PG_PORT:-5432}}
  if eg_have pg_isready; then
    pg_isready -q -h 127.0.0.1 -p "$port" -t 3 >/dev/null 2>&1
  else
    eg_tcp_open "$port"
  fi
}

# Start the stopped clusters (pg_lsclusters) - those on PORT if there are any, else all.
eg_pg_start_clusters() {
  local port=$1 ver name cport status rest started=1
  local -a down=() down_on_port=()
  while read -r ver name cport status rest; do
    [[ -n ${ver:-} ]] || continue
    if [[ $status == down* ]]; then
      down+=("$ver $name")
      if [[ $cport == "$port" ]]; then
        down_on_port+=("$ver $name")
      fi
    fi
  done < <(pg_lsclusters -h 2>/dev/null)
  if ((${#down_on_port[@]})); then
    down=("${down_on_port[@]}")
  fi
  local c
  for c in "${down[@]}"; do
    read -r ver name <<<"$c"
    eg_log "starting PostgreSQL cluster $ver/$name: pg_ctlcluster --skip-systemctl-redirect $ver $name start"
    if eg_as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2; then
      started=0
    else
      eg_err "pg_ctlcluster $ver $name start failed"
    fi
  done
  return "$started"
}

# Run SQL as the postgres superuser: over TCP first (trust auth), else over the
# local socket as the postgres OS user.
eg_psql() {
  local port=$1 sql=$2
  PGCONNECT_TIMEOUT=5 psql -w -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -v ON_ERROR_STOP=1 -tAc "$sql" 2>/dev/null && return 0
  if [[ ${EUID:-$(id -u)} -eq 0 ]] && eg_have runuser; then
    runuser -u postgres -- psql -w -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1 -tAc "$sql"
  elif eg_have sudo && sudo -n true 2>/dev/null; then
    sudo -n -u postgres psql -w -X -q -p "$port" -d postgres -v ON_ERROR_STOP=1 -tAc "$sql"
  else
    return 1
  fi
}

# A freshly installed Debian cluster asks for passwords on 127.0.0.1; make it trust
# local TCP connections like the shared machine's cluster does.
eg_pg_trust_local_tcp() {
  local hba
  for hba in /etc/postgresql/*/*/pg_hba.conf; do
    [[ -f $hba ]] || continue
    grep -q '^host all all 127.0.0.1/32 trust' "$hba" && continue
    eg_log "allowing trust auth for 127.0.0.1 / ::1 in $hba"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  done
  eg_psql "${EVENTGATE_PG_PORT:-5432}" "select pg_reload_conf()" >/dev/null || true
}

ensure_postgres() {
  local port=${EVENTGATE_PG_PORT:-5432} db=${EVENTGATE_PG_DB:-eventgate_test}
  local fresh=0 exists

  if eg_pg_ready "$port"; then
    eg_log "PostgreSQL is answering on 127.0.0.1:$port"
  else
    eg_log "PostgreSQL is not answering on 127.0.0.1:$port; trying to start it"
    if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || ! eg_have pg_lsclusters; then
      if ! eg_can_apt_install; then
        eg_err "PostgreSQL is not installed and we cannot install it (needs root and apt-get). Install the Debian package 'postgresql' or start a server on 127.0.0.1:$port."
        return 1
      fi
      if ! eg_apt_install postgresql; then
        eg_err "apt-get install postgresql failed"
        return 1
      fi
      fresh=1
    fi
    if [[ -z $(pg_lsclusters -h 2>/dev/null) ]] && eg_can_apt_install; then
      local ver
      ver=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
      eg_log "no PostgreSQL cluster exists; creating $ver/main on port $port"
      pg_createcluster "$ver" main -p "$port" >&2 || {
        eg_err "pg_createcluster $ver main failed"
        return 1
      }
      fresh=1
    fi
    eg_pg_ready "$port" || eg_pg_start_clusters "$port" || true
    if ! eg_wait_for 30 eg_pg_ready "$port"; then
      eg_err "PostgreSQL did not answer on 127.0.0.1:$port within 30 s. Check 'pg_lsclusters' and /var/log/postgresql/."
      return 1
    fi
    eg_log "PostgreSQL is up on 127.0.0.1:$port"
    if ((fresh)); then
      eg_pg_trust_local_tcp
    fi
  fi

  if [[ ! $db =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
    eg_err "refusing odd database name '$db'"
    return 1
  fi
  if ! exists=$(eg_psql "$port" "select 1 from pg_database where datname='$db'"); then
    eg_err "cannot run psql as postgres against 127.0.0.1:$port (is trust auth set up for 127.0.0.1?)"
    return 1
  fi
  if [[ $exists == 1 ]]; then
    eg_log "database $db exists"
  elif eg_psql "$port" "create database \"$db\"" >/dev/null; then
    eg_log "created database $db"
  else
    eg_err "could not create database $db on 127.0.0.1:$port"
    return 1
  fi
}

# ---------------------------------------------------------------- Redis

eg_redis_ping_cli() {
  local reply
  reply=$(timeout 3 redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) || return 1
  [[ $reply == PONG ]]
}

eg_redis_ping_tcp() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r line <&3 || exit 1
    [[ $line == "+PONG"* ]]' _ "$1" 2>/dev/null
}

eg_redis_ping() {
  local port=${1:-${EVENTGATE_REDIS_PORT:-6379}}
  if eg_have redis-cli; then
    eg_redis_ping_cli "$port"
  else
    eg_redis_ping_tcp "$port"
  fi
}

ensure_redis() {
  local port=${EVENTGATE_REDIS_PORT:-6379} log=/tmp/eventgate-redis.log
  [[ $port == 6379 ]] || log=/tmp/eventgate-redis-$port.log

  if eg_redis_ping "$port"; then
    eg_log "Redis is answering PING on 127.0.0.1:$port"
    return 0
  fi
  eg_log "Redis is not answering on 127.0.0.1:$port; trying to start it"
  if ! eg_have redis-server; then
    if ! eg_can_apt_install; then
      eg_err "redis-server is not installed and we cannot install it (needs root and apt-get). Install the Debian package 'redis-server' or start Redis on 127.0.0.1:$port."
      return 1
    fi
    if ! eg_apt_install redis-server; then
      eg_err "apt-get install redis-server failed"
      return 1
    fi
    # the package may have started its own server already
    if eg_wait_for 3 eg_redis_ping "$port"; then
      eg_log "Redis is up on 127.0.0.1:$port"
      return 0
    fi
  fi

  local -a common=(--port "$port" --save "" --appendonly no --dir /tmp --logfile "$log")
  local shown
  shown=$(printf ' %q' "${common[@]}")
  eg_log "starting redis-server --daemonize yes --bind 127.0.0.1 -::1$shown"
  if ! redis-server --daemonize yes --bind 127.0.0.1 -::1 "${common[@]}" >&2 ||
    ! eg_wait_for 5 eg_redis_ping "$port"; then
    if ! eg_redis_ping "$port"; then
      eg_log "retrying without the IPv6 bind: redis-server --daemonize yes --bind 127.0.0.1$shown"
      redis-server --daemonize yes --bind 127.0.0.1 "${common[@]}" >&2 || true
    fi
  fi
  if ! eg_wait_for 15 eg_redis_ping "$port"; then
    eg_err "Redis did not answer PING on 127.0.0.1:$port within 20 s; see $log"
    tail -n 5 "$log" >&2 2>/dev/null || true
    return 1
  fi
  eg_log "Redis is up on 127.0.0.1:$port (log: $log)"
}
