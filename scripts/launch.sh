#!/bin/sh
# Starts a built entry point the way npm start, start:gateway, start:worker and token:create do:
# build first only when the sources are newer than the build, then *become* node (exec), so the
# signals of a terminal, of npm (which forwards SIGINT/SIGTERM to its child) or of a `kill` reach
# the service itself and no wrapper lingers.
#
#   sh scripts/launch.sh [--no-web] ENTRY [ARGS...]     ENTRY relative to dist/src, e.g. main.js
#
# --no-web never builds the web UI (token:create: rebuilding it would empty web/dist under a
# running gateway).
set -eu
cd "$(dirname "$0")/.."

web=yes
if [ "${1:-}" = "--no-web" ]; then web=no; shift; fi
entry="dist/src/$1"
shift

# True when $1 is missing or any file under the other arguments is newer than it.
stale() {
  marker=$1
  shift
  [ -e "$marker" ] || return 0
  # Build outputs never count: web/dist, and the API types codegen writes under web/src.
  [ -n "$(find "$@" -newer "$marker" -type f ! -path 'web/dist/*' ! -path 'web/src/api/generated/*' -print 2>/dev/null | head -n 1)" ]
}

# A runtime image (Dockerfile) carries the build but no sources: nothing to build there.
if [ -d src ] && stale dist/.built src package.json package-lock.json tsconfig.json; then
  echo "Sources changed since the last build: building (npm run build)" >&2
  ./node_modules/.bin/tsc -p tsconfig.json
  # The web UI's API types are generated from schema.graphql: bring it up to date before the web
  # check below. Written only when it changed, so an unchanged schema leaves the web UI alone.
  # CI= : here it is always written (with CI=true emit-schema would only compare and fail).
  CI= node dist/src/cli/emit-schema.js schema.graphql
  touch dist/.built
fi
if [ "$web" = yes ] && [ -d web/src ] && stale web/dist/index.html web schema.graphql package.json package-lock.json; then
  echo "Web UI sources changed since the last build: building (npm run build:web)" >&2
  npm run build:web --silent
fi

exec node "$entry" "$@"
