#!/usr/bin/env bash
# Run once per `docker compose up` by the kafka-setup service of docker-compose.secure.yml (apache/kafka image), as
# the broker's own principal (User:CN=irg-broker, a super user) over the mutual-TLS listener kafka:9094:
#   - one SCRAM-SHA-512 user per role (irg-think, irg-draw, irg-reflect, irg-refine, irg-topology, irg-submitter,
#     irg-operator) and the registry's irg-registry, with the passwords from the environment (set again at each run,
#     so a changed password takes effect);
#   - the registry's ACLs (its _schemas topic and its groups). The roles' ACLs are applied after this by the acls
#     service: ./irg acls --apply, the exact set `./irg acls --print` shows (docs/security.md).
set -euo pipefail
bootstrap=kafka:9094
admin=/etc/irg-secure/admin.properties
bin=/opt/kafka/bin

echo "kafka-setup: waiting for the broker at $bootstrap"
for i in $(seq 1 90); do
  if "$bin/kafka-broker-api-versions.sh" --bootstrap-server "$bootstrap" --command-config "$admin" >/dev/null 2>&1; then
    break
  fi
  if [ "$i" = 90 ]; then
    echo "kafka-setup: the broker did not answer on $bootstrap within 3 minutes (docker compose logs kafka)" >&2
    exit 1
  fi
  sleep 2
done

for user in think draw reflect refine topology submitter operator registry; do
  var="IRG_${user^^}_PASSWORD"
  password="${!var:?$var is not set (deploy/secure.env.example)}"
  "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --alter \
      --add-config "SCRAM-SHA-512=[password=$password]" --entity-type users --entity-name "irg-$user" >/dev/null
  echo "kafka-setup: SCRAM-SHA-512 user irg-$user"
done

# the schema registry's Kafka store: its topic _schemas, and its groups (leader election, the store's reader)
"$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --add \
    --allow-principal User:irg-registry --operation All --topic _schemas >/dev/null
"$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --command-config "$admin" --add \
    --allow-principal User:irg-registry --operation All --group schema-registry --resource-pattern-type prefixed >/dev/null
echo "kafka-setup: ACLs of User:irg-registry (topic _schemas, groups schema-registry*)"
