#!/usr/bin/env bash
# The local stack's PostgreSQL (docker/compose.yaml): one database per Tandem service, each with two roles, as in
# production (docs/OPERATIONS.md):
#   <service>_owner  owns the database and its schema; only the migration job connects as it (--db_migrate_url);
#   <service>_app    the service's runtime role (--db_url): no schema rights; the migrations grant it exactly
#                    the table privileges the service needs.
# No role may connect to another service's database. The official image runs this once, when the data volume
# is first initialised.
set -euo pipefail

password="${TANDEM_DB_PASSWORD:?TANDEM_DB_PASSWORD must be set}"
for service in ${TANDEM_SERVICES:?TANDEM_SERVICES must name the services}; do
  # Names go into SQL as identifiers: only lower-case service names, as in services/registry.tsv.
  if [[ ! "$service" =~ ^[a-z][a-z_]*$ ]]; then
    echo "init-databases: bad service name" >&2
    exit 1
  fi
  # The password reaches SQL as a psql variable (quoted by psql), never through the shell into the text.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v password="$password" <<SQL
CREATE ROLE ${service}_owner LOGIN PASSWORD :'password';
CREATE ROLE ${service}_app LOGIN PASSWORD :'password';
CREATE DATABASE ${service} OWNER ${service}_owner;
REVOKE ALL ON DATABASE ${service} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${service} TO ${service}_owner, ${service}_app;
SQL
done
