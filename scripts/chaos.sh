#!/usr/bin/env bash
# The full chaos test: 200 trajectories, each step in its own JVM, workers killed with SIGKILL at random moments,
# the broker stopped and restarted once. Prints a table of what it did and found (copy it to docs/reliability.md).
#   scripts/chaos.sh [TRAJECTORIES] [KILLS] [SEED]
# With --cluster, the same on a three-node Kafka cluster (each node its own JVM; replication factor 3, min ISR 2):
# trajectories submitted evenly over SUBMIT_SECONDS, workers killed with SIGKILL, and BROKER_KILLS times the node
# leading the busiest step-topic partition killed with SIGKILL and restarted (ClusterChaosIT):
#   scripts/chaos.sh --cluster [TRAJECTORIES] [KILLS] [BROKER_KILLS] [SEED] [SUBMIT_SECONDS]   (1000 10 2 7 240)
# CHAOS_DIR=DIR keeps the nodes' data and logs and the workers' logs of a --cluster run there.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -ntp -q -DskipTests install
if [ "${1:-}" = "--cluster" ]; then
  shift
  ./mvnw -B -ntp -pl app verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ClusterChaosIT \
    -Dirg.chaos.trajectories="${1:-1000}" -Dirg.chaos.kills="${2:-10}" -Dirg.chaos.broker.kills="${3:-2}" \
    -Dirg.chaos.seed="${4:-7}" -Dirg.chaos.submit.seconds="${5:-240}" ${CHAOS_DIR:+-Dirg.chaos.dir="$CHAOS_DIR"} \
    2>&1 | sed -n '/^chaos run/,/^| wall time/p; /^broker kill:/p; /^worker stop reason/p; /Tests run:.*Fail/p'
  exit "${PIPESTATUS[0]}"
fi
./mvnw -B -ntp -pl app verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ChaosIT \
  -Dirg.chaos.trajectories="${1:-200}" -Dirg.chaos.kills="${2:-10}" -Dirg.chaos.seed="${3:-7}" \
  2>&1 | sed -n '/^chaos run/,/^| wall time/p; /^worker stop reason/p'
