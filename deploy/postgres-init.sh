#!/bin/sh
# Run once by the postgres image on an empty data directory (docker-entrypoint-initdb.d), as
# its superuser. firealarm gets a role of its own that is NOT a superuser: it owns its database
# and nothing else, so neither the daemon nor `firealarm sql` can reach the server's files or
# run programs there. The read-only role for `firealarm sql` is made by the compose `setup`
# service (firealarm db create-reader) once the schema exists.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_role="${FIREALARM_DB_USER:-firealarm}" \
  -v app_db="${FIREALARM_DB_NAME:-firealarm}" \
  -v app_password="$FIREALARM_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_role";
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
SQL
