#!/usr/bin/env bash
# The full chaos test: 200 trajectories, each step in its own JVM, workers killed with SIGKILL at random moments,
# the broker stopped and restarted once. Prints a table of what it did and found (copy it to docs/reliability.md).
#   scripts/chaos.sh [TRAJECTORIES] [KILLS] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -ntp -q -DskipTests install
./mvnw -B -ntp -pl app verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ChaosIT \
  -Dirg.chaos.trajectories="${1:-200}" -Dirg.chaos.kills="${2:-10}" -Dirg.chaos.seed="${3:-7}" \
  2>&1 | sed -n '/^chaos run/,/^| wall time/p; /^worker stop reason/p'
