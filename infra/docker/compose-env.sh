#!/bin/sh
# Writes infra/.env (or the file named) with a fresh random value for every variable that
# infra/docker-compose.yml requires (each `${NAME:?...}`: the secrets; compose refuses to start
# without them, and no public default stands in). Never overwrites an existing file.
#   sh infra/docker/compose-env.sh [file]
# Then `docker compose -f infra/docker-compose.yml up --build` reads it (compose's project folder is
# infra/, the compose file's). Keep the file out of version control (.gitignore has it).
set -eu
infra="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$infra/.env}"
if [ -e "$target" ]; then
  echo "COMPOSE_ENV: $target exists; not overwriting (delete it to start afresh)" >&2
  exit 1
fi
names="$(grep -v '^[[:space:]]*#' "$infra/docker-compose.yml" | grep -o '\${[A-Z0-9_]*:?' | sed 's/^\${//; s/:?$//' | sort -u)"
[ -n "$names" ] || { echo "COMPOSE_ENV: no \${NAME:?} in $infra/docker-compose.yml" >&2; exit 1; }
umask 077
for name in $names; do
  # 32 random bytes as hex: URL-safe (the database passwords sit inside URLs), 64 characters.
  printf '%s=%s\n' "$name" "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
done >"$target"
echo "wrote $target: $(echo $names | tr ' ' ',')" >&2
