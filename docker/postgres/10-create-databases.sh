#!/bin/bash
# Runs once, on the first start of an empty data volume (docker-entrypoint-initdb.d):
# one role and one database each for Airflow's metadata, the intakeflow store and HAPI FHIR.
set -euo pipefail

create() {  # role/database name, password
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v name="$1" -v pw="$2" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'pw';
CREATE DATABASE :"name" OWNER :"name";
SQL
}

create airflow "$AIRFLOW_DB_PASSWORD"
create intakeflow "$INTAKEFLOW_DB_PASSWORD"
create hapi "$HAPI_DB_PASSWORD"
