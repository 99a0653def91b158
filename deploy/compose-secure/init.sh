#!/bin/sh
# Makes what docker-compose.secure.yml mounts, under OUT (default /secrets, a bind mount of IRG_SECURE_DIR):
#   ca/                 the CA that signs the broker's and the registry's certificates (ca.p12, ca.pem)
#   kafka/              the broker: irg-broker.p12 (CN=irg-broker, SAN kafka, localhost, 127.0.0.1: the super user on
#                       its mutual-TLS listeners), truststore.p12 (the CA), store-password (read by the Kafka image)
#   admin/              admin.properties: the broker's own principal over mutual TLS (kafka:9094), for the SCRAM users
#                       and ./irg acls --apply; with copies of irg-broker.p12 and truststore.p12
#   registry/           irg-registry.p12 (CN=irg-registry, SAN schema-registry, localhost), truststore.p12, jaas.conf and
#                       passwords (the registry's basic-auth users: irg-admin, and each role read with its password)
#   think/ draw/ reflect/ refine/ topology/ submitter/ operator/
#                       client.properties (the role's SASL_SSL + SCRAM-SHA-512 login as irg-<role>, the registry's URL
#                       and basic auth as irg-<role>) and truststore.p12; topology/ also holds api-keys
#   api-key             a submit key for the HTTP API (its hash is in topology/api-keys)
# Passwords come from the environment (the .env file passed to compose, see deploy/secure.env.example); none is
# written anywhere else. Certificates and the API key are made once and kept; the properties files are written again
# at each run, so a changed role password reaches its files (kafka-setup changes the SCRAM user with it).
# Delete OUT to start over with new certificates (then restart everything).
# Runs in the irg-stream image (keytool, java); `sh deploy/compose-secure/init.sh DIR` from the repository root works
# on a host with a JDK too (the API key is then made with ./irg).
set -eu
out=${1:-/secrets}
umask 077
roles="think draw reflect refine topology submitter operator"
days=${IRG_CERT_DAYS:-365}

need() {
  eval "v=\${$1:-}"
  if [ -z "$v" ]; then
    echo "init: $1 is not set: put it in the env file you pass to compose (see deploy/secure.env.example)" >&2
    exit 1
  fi
  case "$v" in
    change-me*) echo "init: $1 still has the example's placeholder value: set a password of your own" >&2; exit 1 ;;
  esac
  if ! printf '%s' "$v" | grep -Eq '^[A-Za-z0-9_-]{16,}$'; then
    echo "init: $1 must be 16 or more letters, digits, '-' or '_' (e.g. openssl rand -hex 24)" >&2
    exit 1
  fi
}
upper() { printf '%s' "$1" | tr 'a-z' 'A-Z'; }
for r in $roles; do need "IRG_$(upper "$r")_PASSWORD"; done
need IRG_STORE_PASSWORD
need IRG_REGISTRY_PASSWORD
need IRG_REGISTRY_ADMIN_PASSWORD
sp=$IRG_STORE_PASSWORD

mkdir -p "$out/ca" "$out/kafka" "$out/admin" "$out/registry"
for r in $roles; do mkdir -p "$out/$r"; done

# --- certificates: a CA, and the broker's and the registry's keys signed by it (EC P-256, PKCS12) ---
if [ ! -f "$out/ca/ca.p12" ]; then
  echo "init: making a CA and certificates valid $days days in $out"
  rm -f "$out/ca/"* "$out/kafka/"*.p12 "$out/registry/"*.p12
  keytool -genkeypair -alias irg-ca -dname CN=irg-ca -keyalg EC -groupname secp256r1 -ext bc:c -validity "$days" \
      -keystore "$out/ca/ca.p12" -storetype PKCS12 -storepass "$sp"
  keytool -exportcert -rfc -alias irg-ca -keystore "$out/ca/ca.p12" -storepass "$sp" -file "$out/ca/ca.pem"
  keytool -importcert -noprompt -alias irg-ca -file "$out/ca/ca.pem" -keystore "$out/ca/truststore.p12" \
      -storetype PKCS12 -storepass "$sp"
  for spec in irg-broker:dns:kafka,dns:localhost,ip:127.0.0.1 irg-registry:dns:schema-registry,dns:localhost,ip:127.0.0.1; do
    name=${spec%%:*}
    san=${spec#*:}
    ks="$out/ca/$name.p12"
    keytool -genkeypair -alias "$name" -dname "CN=$name" -keyalg EC -groupname secp256r1 -validity "$days" \
        -keystore "$ks" -storetype PKCS12 -storepass "$sp"
    keytool -certreq -alias "$name" -keystore "$ks" -storepass "$sp" -file "$out/ca/$name.csr"
    keytool -gencert -rfc -alias irg-ca -keystore "$out/ca/ca.p12" -storepass "$sp" -validity "$days" \
        -infile "$out/ca/$name.csr" -outfile "$out/ca/$name.pem" -ext "san=$san" -ext eku=serverAuth,clientAuth
    keytool -importcert -noprompt -alias irg-ca -file "$out/ca/ca.pem" -keystore "$ks" -storepass "$sp"
    keytool -importcert -noprompt -alias "$name" -file "$out/ca/$name.pem" -keystore "$ks" -storepass "$sp"
    rm -f "$out/ca/$name.csr"
  done
fi
cp "$out/ca/irg-broker.p12" "$out/ca/truststore.p12" "$out/kafka/"
cp "$out/ca/irg-broker.p12" "$out/ca/truststore.p12" "$out/admin/"
cp "$out/ca/irg-registry.p12" "$out/ca/truststore.p12" "$out/registry/"
printf '%s' "$sp" > "$out/kafka/store-password"

# --- the administrator's client settings: the broker's own certificate on its mutual-TLS listener ---
cat > "$out/admin/admin.properties" <<PROPS
# the broker's own principal (User:CN=irg-broker, a super user) over mutual TLS: SCRAM users and ACLs only
bootstrap.servers=kafka:9094
security.protocol=SSL
ssl.keystore.location=/etc/irg-secure/irg-broker.p12
ssl.keystore.password=$sp
ssl.key.password=$sp
ssl.keystore.type=PKCS12
ssl.truststore.location=/etc/irg-secure/truststore.p12
ssl.truststore.password=$sp
ssl.truststore.type=PKCS12
PROPS

# --- each role's client settings ---
for r in $roles; do
  eval "pw=\$IRG_$(upper "$r")_PASSWORD"
  cp "$out/ca/truststore.p12" "$out/$r/"
  cat > "$out/$r/client.properties" <<PROPS
# docker-compose.secure.yml: the $r role's Kafka and registry client settings (written by deploy/compose-secure/init.sh)
bootstrap.servers=kafka:9092
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="irg-$r" password="$pw";
ssl.truststore.location=/etc/irg-secure/truststore.p12
ssl.truststore.password=$sp
ssl.truststore.type=PKCS12
schema.registry.url=https://schema-registry:8081
basic.auth.credentials.source=USER_INFO
basic.auth.user.info=irg-$r:$pw
schema.registry.ssl.truststore.location=/etc/irg-secure/truststore.p12
schema.registry.ssl.truststore.password=$sp
schema.registry.ssl.truststore.type=PKCS12
PROPS
done

# --- the registry's basic-auth realm (Jetty's PropertyFileLoginModule): irg-admin and one user per role ---
cat > "$out/registry/jaas.conf" <<JAAS
SchemaRegistry {
  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required
  file="/etc/schema-registry/secure/passwords"
  debug="false";
};
JAAS
{
  echo "irg-admin: $IRG_REGISTRY_ADMIN_PASSWORD,admin"
  for r in $roles; do
    eval "pw=\$IRG_$(upper "$r")_PASSWORD"
    echo "irg-$r: $pw,user"
  done
} > "$out/registry/passwords"

# --- the HTTP API's key file and a submit key, made once ---
if [ ! -s "$out/topology/api-keys" ] || [ ! -s "$out/api-key" ]; then
  rm -f "$out/topology/api-keys"
  if [ -d /opt/irg/lib ]; then   # in the irg-stream image
    java -cp '/opt/irg/lib/*' io.irgstream.app.cli.IrgCli api-keys create --role submit \
        --file "$out/topology/api-keys" > "$out/api-key.tmp"
  else
    ./irg api-keys create --role submit --file "$out/topology/api-keys" > "$out/api-key.tmp"
  fi
  mv "$out/api-key.tmp" "$out/api-key"
  chown "$(stat -c %u:%g "$out")" "$out/api-key" 2>/dev/null || true   # readable by whoever made IRG_SECURE_DIR
  echo "init: a submit key for the HTTP API is in $out/api-key"
fi

# the Kafka and registry images run as uid 1000 (appuser); the irg-stream containers as root
chown -R 1000:1000 "$out/kafka" "$out/admin" "$out/registry" 2>/dev/null || true
echo "init: $out ready"
