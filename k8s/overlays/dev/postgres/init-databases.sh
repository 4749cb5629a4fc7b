#!/bin/bash
# Runs once, on the first start of the dev PostgreSQL (docker-entrypoint-initdb.d): one database per service,
# owned by that service's owner role (used by its migration Job only), and a runtime role that may only
# connect; the migrations grant the runtime role its table rights (INSERT and SELECT only on the audit trail).
# Passwords come from the Secret postgres-roles, mounted as files, and are read by psql itself (\set with a
# backquoted cat), so they never appear in a command line.
set -euo pipefail
roles=${POSTGRES_ROLES_DIR:-/var/run/secrets/postgres-roles}
for service in reminders scheduling; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v service="$service" <<SQL
\set owner_password \`cat $roles/$service-owner\`
\set app_password \`cat $roles/$service-app\`
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'service' || '_owner', :'owner_password') \gexec
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'service' || '_app', :'app_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'service' || '_owner') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'service') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', :'service', :'service' || '_app') \gexec
SQL
done
