#!/usr/bin/env bash
# A real Apache Kafka broker for tests and local runs, without Docker.
#
#   broker.sh fetch                   resolve the broker jars from Maven Central into the cache
#   broker.sh start  [--dir D] [--port P] [--owner PID]
#                                     format KRaft storage (first start only), start a single-node
#                                     broker+controller on 127.0.0.1, wait until it serves clients,
#                                     print the bootstrap address
#   broker.sh stop   [--dir D]        stop it cleanly (SIGTERM, then SIGKILL after a grace period)
#   broker.sh status [--dir D]        print the bootstrap address and exit 0 if it runs, exit 1 if not
#
# State lives in D (default .cache/kafka/run): server.properties, data/, server.log, broker.pid and
# broker.env (PANOPTES_TEST_KAFKA=host:port, for `source`). A second start on the same D keeps the
# data and the port, so a test can stop the broker and bring it back as the same cluster.
# --owner PID stops the broker when that process exits, so a crashed test run leaves nothing behind.
#
# Environment: KAFKA_VERSION (default: the pom's), PANOPTES_KAFKA_CACHE (jar cache root),
# KAFKA_HEAP_OPTS (default -Xms128m -Xmx512m), KAFKA_START_TIMEOUT_SEC (default 90).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pom="$here/pom.xml"
version="${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")}"
cache="${PANOPTES_KAFKA_CACHE:-$root/.cache/kafka}/$version"
lib="$cache/lib"
heap="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
start_timeout="${KAFKA_START_TIMEOUT_SEC:-90}"

die() { echo "broker.sh: $*" >&2; exit 1; }

fetch() {
  if [[ -f "$lib/.complete" ]]; then return 0; fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven) to resolve the Kafka jars"
  command -v java >/dev/null || die "java not found: Kafka $version needs a Java 17+ runtime"
  echo "broker.sh: resolving kafka_2.13:$version into $lib" >&2
  rm -rf "$lib.tmp"
  mvn -q -B -f "$pom" -Dkafka.version="$version" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib.tmp" >&2 \
    || die "cannot resolve the Kafka $version jars with mvn (see above)"
  rm -rf "$lib" && mv "$lib.tmp" "$lib" && touch "$lib/.complete"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

running_pid() {
  local pid
  [[ -f "$dir/broker.pid" ]] || return 1
  pid="$(cat "$dir/broker.pid")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

write_config() {
  local port="$1" cport="$2"
  mkdir -p "$dir/data"
  # Single node, combined roles, loopback only. Internal topics get one replica and few partitions
  # so the first consumer group is ready in a second rather than after creating 50 partitions.
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
num.network.threads=2
num.io.threads=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
log.segment.bytes=67108864
EOF
  cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.raft.name = org.apache.kafka.raft
logger.raft.level = warn
EOF
}

start() {
  local port="" owner="" pid
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --owner) owner="$2"; shift 2 ;;
      *) die "start: unknown option $1" ;;
    esac
  done
  if pid="$(running_pid)"; then
    echo "broker.sh: already running (pid $pid)" >&2
    status
    return 0
  fi
  fetch
  mkdir -p "$dir"
  if [[ ! -f "$dir/server.properties" ]]; then
    [[ -n "$port" ]] || port="$(free_port)"
    write_config "$port" "$(free_port)"
    java $heap -cp "$lib/*" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
      kafka.tools.StorageTool format --ignore-formatted -t "$(cluster_id)" -c "$dir/server.properties" \
      >"$dir/format.log" 2>&1 || { cat "$dir/format.log" >&2; die "cannot format KRaft storage in $dir/data"; }
  fi
  port="$(sed -n 's/^advertised.listeners=PLAINTEXT:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$dir/server.properties")"
  local bootstrap="127.0.0.1:$port"
  local log_start=0
  [[ -f "$dir/server.log" ]] && log_start="$(wc -l <"$dir/server.log")"
  # setsid: the broker must outlive this script and not share the caller's process group, so a
  # Ctrl-C aimed at a test runner does not kill it halfway through a write.
  setsid nohup java $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$lib/*" \
    kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/broker.pid"
  echo "PANOPTES_TEST_KAFKA=$bootstrap" >"$dir/broker.env"
  local waited=0
  # "Kafka Server started" is logged once the broker registered with the controller and enabled
  # request processing: before it, the port may accept a connection that then stalls.
  until tail -n +"$((log_start + 1))" "$dir/server.log" 2>/dev/null | grep -q 'Kafka Server started'; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$dir/stdout.log" "$dir/server.log" >&2 2>/dev/null || true
      die "broker exited during start-up (logs in $dir)"
    fi
    if ((waited >= start_timeout * 5)); then
      kill -9 "$pid" 2>/dev/null || true
      die "broker did not start within ${start_timeout}s (logs in $dir)"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.2; done
  if [[ -n "$owner" ]]; then
    # Stops the broker when its owner (a test runner) goes away without calling stop.
    setsid nohup bash -c "while kill -0 $owner 2>/dev/null && kill -0 $pid 2>/dev/null; do sleep 2; done; \
      kill $pid 2>/dev/null" >/dev/null 2>&1 </dev/null &
  fi
  echo "$bootstrap"
}

cluster_id() {
  # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (22 characters).
  # One that starts with "-" would be read as an option by the storage tool: draw again.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" == -* ]] || break
  done
  echo "$id"
}

stop() {
  local pid waited=0
  pid="$(running_pid)" || { echo "broker.sh: not running" >&2; return 0; }
  kill "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= 150)); then
      echo "broker.sh: broker did not stop within 30s, killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$dir/broker.pid"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    sed -n 's/^PANOPTES_TEST_KAFKA=//p' "$dir/broker.env"
    return 0
  fi
  echo "broker.sh: not running" >&2
  return 1
}

cmd="${1:-}"
[[ $# -gt 0 ]] && shift
dir="$root/.cache/kafka/run"
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
case "$cmd" in
  fetch) fetch && echo "$lib" ;;
  start) start "${args[@]+"${args[@]}"}" ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: broker.sh fetch | start [--dir D] [--port P] [--owner PID] | stop [--dir D] | status [--dir D]" ;;
esac
