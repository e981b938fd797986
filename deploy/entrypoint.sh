#!/usr/bin/env bash
# Shelfkeeper's container entrypoint, in the manner of linuxserver.io images:
#   PUID / PGID  the user and group the service runs as (default 1000:1000), owner of /config;
#   UMASK        the mask for files it creates (default 022; 002 to share with a group);
#   TZ           the time zone (also the default of TIMEZONE, the schedule's zone).
# Started as root it makes /config theirs and drops privileges with setpriv (util-linux) before exec'ing the
# command; started as another user (compose `user:`) it runs the command as that user.
# ENTRYPOINT_DRY_RUN=1 prints the privileged steps instead of doing them and runs the command unprivileged
# (the tests use it); CONFIG_DIR moves /config (tests only).
set -euo pipefail

PUID="${PUID:-1000}"
PGID="${PGID:-1000}"
UMASK="${UMASK:-022}"
CONFIG_DIR="${CONFIG_DIR:-/config}"
DRY_RUN="${ENTRYPOINT_DRY_RUN:-0}"

fail() {
    echo "entrypoint: $*" >&2
    exit 2
}

[[ "$PUID" =~ ^[0-9]+$ ]] || fail "PUID must be a number, got '$PUID'"
[[ "$PGID" =~ ^[0-9]+$ ]] || fail "PGID must be a number, got '$PGID'"
[[ "$UMASK" =~ ^0?[0-7]{3}$ ]] || fail "UMASK must be octal like 022 or 0027, got '$UMASK'"
if [[ "$PUID" == "0" || "$PGID" == "0" ]]; then
    echo "entrypoint: warning: PUID/PGID 0 runs Shelfkeeper as root" >&2
fi

if [[ -n "${TZ:-}" ]]; then
    [[ -e "/usr/share/zoneinfo/$TZ" || "$DRY_RUN" == "1" ]] || fail "TZ: unknown time zone '$TZ'"
    export TZ
    export TIMEZONE="${TIMEZONE:-$TZ}"
fi

umask "$UMASK"
export DATA_DIR="${DATA_DIR:-$CONFIG_DIR}"
[[ $# -gt 0 ]] || set -- shelfkeeper serve

run() {
    if [[ "$DRY_RUN" == "1" ]]; then
        echo "would run: $*"
    else
        "$@"
    fi
}

if [[ "$(id -u)" == "0" || "$DRY_RUN" == "1" ]]; then
    run mkdir -p "$CONFIG_DIR"
    owner="$(stat -c '%u:%g' "$CONFIG_DIR" 2>/dev/null || echo none)"
    if [[ "$owner" != "$PUID:$PGID" ]]; then
        run chown -R "$PUID:$PGID" "$CONFIG_DIR"
    fi
    echo "entrypoint: running as $PUID:$PGID, umask $(umask), config in $CONFIG_DIR${TZ:+, TZ $TZ}" >&2
    if [[ "$DRY_RUN" == "1" ]]; then
        echo "would exec: setpriv --reuid=$PUID --regid=$PGID --clear-groups -- $*"
        exec "$@"
    fi
    exec setpriv --reuid="$PUID" --regid="$PGID" --clear-groups -- "$@"
fi

echo "entrypoint: already running as $(id -u):$(id -g); PUID/PGID not applied, umask $(umask)" >&2
exec "$@"
