#!/usr/bin/env bash
# `npm ci`, failing on any EBADENGINE warning: a dependency that wants another Node than
# package.json's engines may call APIs this Node lacks (package.json "overrides" keep the
# @whatwg-node helpers on their Node 20 line). Arguments go to npm ci. Used by .ci/run.
set -euo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
npm ci "$@" 2>&1 | tee "$log"
if grep -q EBADENGINE "$log"; then
  echo "npm ci printed EBADENGINE warnings (above): a dependency does not support this Node; pin or override it in package.json" >&2
  exit 1
fi
