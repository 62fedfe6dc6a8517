#!/usr/bin/env bash
# Debian's chromium, for the test that opens the Snakemake report in a headless browser
# (tests/test_workflow.py): installs it where it is missing (needs root and apt-get). Called by
# .ci/run and by the test itself. Exits 0 when `chromium` is on PATH afterwards; otherwise prints
# one sentence saying why it could not and what to do, and exits 1.
set -euo pipefail
command -v chromium >/dev/null && exit 0
[[ "$(id -u)" == 0 ]] || {
    echo "chromium is missing and installing it needs root: run 'apt-get install chromium' as root."
    exit 1
}
command -v apt-get >/dev/null || {
    echo "chromium is missing and apt-get is not available: install Chromium as 'chromium' on PATH."
    exit 1
}
export DEBIAN_FRONTEND=noninteractive
LOG="$(mktemp /tmp/actstudy-chromium.XXXXXX)"
if ! apt-get install -y -qq --no-install-recommends chromium >"$LOG" 2>&1; then
    # a fresh machine may have no package lists yet
    apt-get update -qq >>"$LOG" 2>&1 && apt-get install -y -qq --no-install-recommends chromium >>"$LOG" 2>&1 || {
        echo "apt-get could not install chromium (see $LOG): install it by hand."
        exit 1
    }
fi
rm -f "$LOG"
command -v chromium >/dev/null
