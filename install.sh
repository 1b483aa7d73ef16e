#!/usr/bin/env bash
# Installs, upgrades and uninstalls Weir (weir-control and weir-engine) as systemd services.
# Layout: PREFIX/releases/<version>-<timestamp>/ holds each release's two binaries, PREFIX/current
# points at the running one (switched atomically), /etc/weir/weir.env is the configuration both
# units load, /etc/systemd/system/weir-{control,engine}.service are the units, and the data
# directory (default /var/lib/weir) holds the database and the engine secret. See --help.
set -euo pipefail

PROG=install.sh
ROOT=/
PREFIX=/opt/weir
FROM=
DATA_DIR_FLAG=
NO_START=0
PURGE=0
KEEP=3
HEALTH_TIMEOUT=60
ENV_SETS=()
# WEIR_INSTALL_TEST_SUPERVISOR=direct (only with --root): run the binaries from `current` directly,
# tracked by PID files under ROOT/run/weir, in place of systemctl. For tests.
SUPERVISOR=${WEIR_INSTALL_TEST_SUPERVISOR:-}
# where systemd's runtime directory is looked for (tests point it elsewhere)
SYSTEMD_RUNDIR=${WEIR_INSTALL_SYSTEMD_RUNDIR:-/run/systemd/system}
SERVICES=(weir-control weir-engine)
DEFAULT_DATA_DIR=/var/lib/weir

usage() {
  cat <<'EOF'
install.sh: install Weir as systemd services

Usage:
  install.sh install   [--from DIR] [options]   install (or reinstall) and start both services
  install.sh upgrade   --from DIR [options]     install a new release, restart, check health,
                                                roll back to the previous release if unhealthy
  install.sh uninstall [--purge] [options]      stop and remove the services and binaries; keeps
                                                /etc/weir and the data directory unless --purge
  install.sh status    [options]                release, service states and health
  install.sh --help

Options:
  --from DIR            directory holding weir-engine and weir-control (default: dist/ next to
                        this script, else this script's directory)
  --prefix DIR          where releases go (default /opt/weir)
  --data-dir DIR        data directory (default /var/lib/weir; kept from weir.env once written)
  --env KEY=VALUE       set a variable in /etc/weir/weir.env (repeatable), e.g.
                        --env WEIR_CONTROL_PORT=9088
  --no-start            install files and units but do not start (or restart) anything
  --health-timeout SEC  how long install/upgrade wait for health (default 60)
  --keep N              releases to keep, the current one included (default 3)
  --purge               with uninstall: also remove /etc/weir, the data directory and the user
  --root DIR            install into DIR instead of / (for tests and image builds): no user is
                        created, nothing is chowned, systemctl is not run; may run as non-root

Health: the control plane's GET /healthz (WEIR_CONTROL_PORT) and the engine API's GET /healthz
(WEIR_API_PORT, {"ready":true} once the engine has its configuration), on loopback.
Ports below 1024 in weir.env give the unit that binds them CAP_NET_BIND_SERVICE; the engine's
RTMP and HTTP ports are set in the control plane, so when those are below 1024 set
WEIR_RTMP_PORT/WEIR_HTTP_PORT in weir.env to match and run `install.sh install` again.
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# ---- arguments ---------------------------------------------------------------------------------

COMMAND=
while [ $# -gt 0 ]; do
  case "$1" in
    install|upgrade|uninstall|status) [ -z "$COMMAND" ] || die "more than one command ('$COMMAND', '$1')"; COMMAND=$1 ;;
    -h|--help|help) usage; exit 0 ;;
    --from) [ $# -ge 2 ] || die "$1 needs a value"; FROM=$2; shift ;;
    --root) [ $# -ge 2 ] || die "$1 needs a value"; ROOT=$2; shift ;;
    --prefix) [ $# -ge 2 ] || die "$1 needs a value"; PREFIX=$2; shift ;;
    --data-dir) [ $# -ge 2 ] || die "$1 needs a value"; DATA_DIR_FLAG=$2; shift ;;
    --env) [ $# -ge 2 ] || die "$1 needs a value"; ENV_SETS+=("$2"); shift ;;
    --no-start) NO_START=1 ;;
    --purge) PURGE=1 ;;
    --keep) [ $# -ge 2 ] || die "$1 needs a value"; KEEP=$2; shift ;;
    --health-timeout) [ $# -ge 2 ] || die "$1 needs a value"; HEALTH_TIMEOUT=$2; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
[ -n "$COMMAND" ] || { usage >&2; exit 2; }
[[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || die "--keep: '$KEEP' is not a positive number"
[[ "$HEALTH_TIMEOUT" =~ ^[0-9]+$ ]] || die "--health-timeout: '$HEALTH_TIMEOUT' is not a number of seconds"
[ "$PURGE" -eq 0 ] || [ "$COMMAND" = uninstall ] || die "--purge goes with uninstall"
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path" ;; esac
if [ -n "$DATA_DIR_FLAG" ]; then case "$DATA_DIR_FLAG" in /*) ;; *) die "--data-dir must be an absolute path" ;; esac; fi
for kv in "${ENV_SETS[@]+"${ENV_SETS[@]}"}"; do
  [[ "$kv" =~ ^[A-Z_][A-Z0-9_]*=[^[:space:]\'\"\\]*$ ]] || die "--env '$kv': expected KEY=VALUE (no spaces or quotes)"
done

# --root other than /: staging mode (tests, image builds)
ROOT=${ROOT%/}
STAGING=0
if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root '$ROOT' is not a directory"
  ROOT=$(cd "$ROOT" && pwd -P)
  [ "$ROOT" = / ] && ROOT= || STAGING=1
fi
case "$SUPERVISOR" in
  '') ;;
  direct) [ "$STAGING" -eq 1 ] || die "WEIR_INSTALL_TEST_SUPERVISOR=direct needs --root" ;;
  *) die "WEIR_INSTALL_TEST_SUPERVISOR: unknown value '$SUPERVISOR' (only 'direct')" ;;
esac

# ---- preflight ---------------------------------------------------------------------------------

if [ "$STAGING" -eq 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo bash $0 $COMMAND ...), or use --root DIR to stage into a directory"
  [ -d "$SYSTEMD_RUNDIR" ] && command -v systemctl >/dev/null 2>&1 ||
    die "this host does not run systemd ($SYSTEMD_RUNDIR is missing); Weir's installer needs systemd (use --root DIR to only stage the files)"
fi

P=$ROOT$PREFIX                 # prefix as seen from here
RELEASES=$P/releases
CURRENT=$P/current
ETC=$ROOT/etc/weir
ENV_FILE=$ETC/weir.env
UNIT_DIR=$ROOT/etc/systemd/system
RUN_DIR=$ROOT/run/weir         # direct supervisor: PID files
LOG_DIR=$ROOT/var/log/weir     # direct supervisor: logs

# ---- weir.env ----------------------------------------------------------------------------------

env_get() { # KEY [DEFAULT]: the last KEY=VALUE in weir.env, quotes stripped
  local v=
  [ -f "$ENV_FILE" ] && v=$(sed -n "s/^[[:space:]]*$1=//p" "$ENV_FILE" | tail -n 1)
  v=${v%\"}; v=${v#\"}; v=${v%\'}; v=${v#\'}
  printf '%s' "${v:-${2:-}}"
}

env_set() { # KEY VALUE: replace the KEY line (or a commented "# KEY=" line), else append
  local key=$1 value=$2 tmp
  tmp=$(mktemp "$ETC/.weir.env.XXXXXX")
  awk -v k="$key" -v v="$value" '
    BEGIN { done = 0 }
    !done && ($0 ~ "^[[:space:]]*" k "=" || $0 ~ "^#[[:space:]]*" k "=") { print k "=" v; done = 1; next }
    $0 ~ "^[[:space:]]*" k "=" { next }
    { print }
    END { if (!done) print k "=" v }' "$ENV_FILE" >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

write_default_env() {
  cat <<EOF
# Weir configuration: read by weir-control.service and weir-engine.service (EnvironmentFile=).
# After a change: systemctl restart weir-control weir-engine
# (after changing a port or the data directory, run install.sh install again so the units match).

# Both: database, engine secret and the engine's cached configuration.
WEIR_DATA_DIR=${DATA_DIR_FLAG:-$DEFAULT_DATA_DIR}
WEIR_LOG_LEVEL=info
WEIR_LOG_JSON=0

# Control plane: console and REST API, and the config server the engine asks.
WEIR_CONTROL_HOST=0.0.0.0
WEIR_CONTROL_PORT=8088
WEIR_CONFIG_HOST=127.0.0.1
WEIR_CONFIG_PORT=8089
# The admin password of the first start (else one is generated and printed once to the journal:
# journalctl -u weir-control | grep 'admin account'). Remove it from here after the first start.
# WEIR_ADMIN_PASSWORD=

# Engine API (the control plane reaches the engine here; /healthz is its health check).
WEIR_API_HOST=127.0.0.1
WEIR_API_PORT=8087
# The engine's RTMP and HTTP listen addresses come from the control plane's settings
# (PATCH /api/v1/settings). Keep these two equal to them: the installer grants the engine unit
# CAP_NET_BIND_SERVICE only when one of its ports is below 1024.
WEIR_RTMP_PORT=1935
WEIR_HTTP_PORT=8080
EOF
}

ensure_env_file() {
  mkdir -p "$ETC"
  chmod 0755 "$ETC"
  if [ ! -f "$ENV_FILE" ]; then
    local tmp
    tmp=$(mktemp "$ETC/.weir.env.XXXXXX")
    write_default_env >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$ENV_FILE"
    say "wrote ${ENV_FILE#"$ROOT"}"
  elif [ -n "$DATA_DIR_FLAG" ]; then
    env_set WEIR_DATA_DIR "$DATA_DIR_FLAG"
  fi
  local kv
  for kv in "${ENV_SETS[@]+"${ENV_SETS[@]}"}"; do env_set "${kv%%=*}" "${kv#*=}"; done
  local key
  for key in WEIR_CONTROL_PORT WEIR_CONFIG_PORT WEIR_API_PORT WEIR_RTMP_PORT WEIR_HTTP_PORT; do
    [[ "$(env_get $key 1)" =~ ^[0-9]+$ ]] || die "$key in ${ENV_FILE#"$ROOT"} is not a port number"
  done
  case "$(env_get WEIR_DATA_DIR)" in /*) ;; *) die "WEIR_DATA_DIR in ${ENV_FILE#"$ROOT"} must be an absolute path" ;; esac
}

data_dir() { env_get WEIR_DATA_DIR "$DEFAULT_DATA_DIR"; }

# ---- units -------------------------------------------------------------------------------------

low_port() { # KEY...: true if one of these ports is in 1..1023
  local key port
  for key in "$@"; do
    port=$(env_get "$key" 0)
    if [ "$port" -gt 0 ] && [ "$port" -lt 1024 ]; then return 0; fi
  done
  return 1
}

unit_text() { # control|engine
  local which=$1 data desc exec deps caps
  data=$(data_dir)
  if [ "$which" = control ]; then
    desc="Weir control plane (config server, REST API, console)"
    exec="$PREFIX/current/weir-control --data-dir \${WEIR_DATA_DIR} --engine-api http://127.0.0.1:\${WEIR_API_PORT}"
    deps=$'After=network-online.target\nWants=network-online.target'
    low_port WEIR_CONTROL_PORT WEIR_CONFIG_PORT && caps=1 || caps=0
  else
    desc="Weir streaming engine (RTMP, HTTP-FLV, WebSocket-FLV, HLS)"
    exec="$PREFIX/current/weir-engine --data-dir \${WEIR_DATA_DIR} --config-url http://127.0.0.1:\${WEIR_CONFIG_PORT}"
    # Wants, not BindsTo: the engine keeps streaming while the control plane is down.
    deps=$'After=network-online.target weir-control.service\nWants=network-online.target weir-control.service'
    low_port WEIR_RTMP_PORT WEIR_HTTP_PORT WEIR_API_PORT && caps=1 || caps=0
  fi
  cat <<EOF
# Generated by install.sh; edits are overwritten by the next install or upgrade.
# Configuration: /etc/weir/weir.env.
[Unit]
Description=$desc
$deps

[Service]
Type=simple
User=weir
Group=weir
EnvironmentFile=/etc/weir/weir.env
ExecStart=$exec
WorkingDirectory=$data
Restart=on-failure
RestartSec=2
TimeoutStartSec=30
TimeoutStopSec=30
KillMode=mixed
LimitNOFILE=1048576
UMask=0027
EOF
  if [ "$data" = "$DEFAULT_DATA_DIR" ]; then
    printf 'StateDirectory=weir\nStateDirectoryMode=0750\n'
  fi
  cat <<EOF
ReadWritePaths=$data
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
PrivateMounts=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
# a deny list (Bun's JIT needs W+X memory and setrlimit, so no MemoryDenyWriteExecute, no @resources)
SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete @raw-io @reboot @swap
SystemCallErrorNumber=EPERM
EOF
  if [ "$caps" -eq 1 ]; then
    printf 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n'
  else
    printf 'CapabilityBoundingSet=\nAmbientCapabilities=\n'
  fi
  printf '\n[Install]\nWantedBy=multi-user.target\n'
}

UNITS_CHANGED=0
write_units() {
  mkdir -p "$UNIT_DIR"
  local which file tmp
  for which in control engine; do
    file=$UNIT_DIR/weir-$which.service
    tmp=$(mktemp "$UNIT_DIR/.weir-$which.service.XXXXXX")
    unit_text "$which" >"$tmp"
    chmod 0644 "$tmp"
    if [ -f "$file" ] && cmp -s "$tmp" "$file"; then
      rm -f "$tmp"
    else
      mv -f "$tmp" "$file"
      UNITS_CHANGED=1
      say "wrote ${file#"$ROOT"}"
    fi
  done
}

# ---- user and data directory -------------------------------------------------------------------

ensure_user() {
  if [ "$STAGING" -eq 1 ]; then return 0; fi
  if ! getent group weir >/dev/null; then groupadd --system weir; fi
  if ! id -u weir >/dev/null 2>&1; then
    useradd --system --gid weir --home-dir "$(data_dir)" --no-create-home --shell /usr/sbin/nologin \
      --comment "Weir streaming server" weir
    say "created system user weir"
  fi
}

ensure_data_dir() {
  local dir
  dir=$ROOT$(data_dir)
  mkdir -p "$dir"
  if [ "$STAGING" -eq 0 ]; then
    chown weir:weir "$dir"
    chmod 0750 "$dir"
  fi
}

# ---- releases ----------------------------------------------------------------------------------

default_from() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
  if [ -x "$here/dist/weir-engine" ]; then printf '%s' "$here/dist"; else printf '%s' "$here"; fi
}

check_from() {
  [ -n "$FROM" ] || FROM=$(default_from)
  [ -d "$FROM" ] || die "--from '$FROM' is not a directory"
  FROM=$(cd "$FROM" && pwd -P)
  local b
  for b in weir-engine weir-control; do
    [ -f "$FROM/$b" ] && [ -x "$FROM/$b" ] || die "no executable $b in '$FROM' (build with: npm run build; or pass --from DIR)"
  done
}

current_release() { # the release directory `current` points at, or nothing
  [ -L "$CURRENT" ] || return 0
  local target
  target=$(readlink "$CURRENT")
  case "$target" in /*) target=$ROOT$target ;; *) target=$P/$target ;; esac
  [ -d "$target" ] && (cd "$target" && pwd -P)
}

same_binaries() { # DIR: true if DIR's binaries equal those in FROM
  cmp -s "$FROM/weir-engine" "$1/weir-engine" && cmp -s "$FROM/weir-control" "$1/weir-control"
}

NEW_RELEASE=
stage_release() { # copies FROM into a new release directory; sets NEW_RELEASE
  local version stamp name tmp
  version=$("$FROM/weir-engine" --version 2>/dev/null | awk 'NR == 1 { print $NF }') ||
    die "$FROM/weir-engine --version failed"
  [[ "$version" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || die "$FROM/weir-engine --version printed no usable version ('$version')"
  "$FROM/weir-control" --version >/dev/null 2>&1 || die "$FROM/weir-control --version failed"
  mkdir -p "$RELEASES"
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name=$version-$stamp
  local n=1
  while [ -e "$RELEASES/$name" ]; do n=$((n + 1)); name=$version-$stamp.$n; done
  tmp=$(mktemp -d "$RELEASES/.staging.XXXXXX")
  cp "$FROM/weir-engine" "$FROM/weir-control" "$tmp/"
  chmod 0755 "$tmp" "$tmp/weir-engine" "$tmp/weir-control"
  mv -T "$tmp" "$RELEASES/$name"
  NEW_RELEASE=$RELEASES/$name
  say "release $name staged in ${NEW_RELEASE#"$ROOT"}"
}

switch_current() { # RELEASE_DIR: atomically point `current` at it (a relative link)
  local rel=releases/${1##*/} tmp
  tmp=$P/.current.$$
  ln -sfn "$rel" "$tmp"
  mv -T "$tmp" "$CURRENT"
  say "current -> $rel"
}

prune_releases() {
  local cur keep=$KEEP dir
  cur=$(current_release)
  # newest first (names sort by version first, so by mtime)
  # shellcheck disable=SC2012
  ls -1dt "$RELEASES"/*/ 2>/dev/null | while read -r dir; do
    dir=${dir%/}
    if [ "$dir" = "$cur" ]; then continue; fi
    if [ "$keep" -gt 1 ]; then keep=$((keep - 1)); continue; fi
    rm -rf -- "$dir"
    say "removed old release ${dir##*/}"
  done || true
  rm -rf -- "$RELEASES"/.staging.* 2>/dev/null || true
}

# ---- supervisor: systemd, or direct (tests) ----------------------------------------------------

direct_pid() { # SERVICE: the PID of a live process we started, or nothing
  local f=$RUN_DIR/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$1"; then printf '%s' "$pid"; fi
}

direct_start() { # SERVICE
  local svc=$1 pid bin data
  pid=$(direct_pid "$svc")
  [ -z "$pid" ] || return 0
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  bin=$CURRENT/$svc
  data=$ROOT$(data_dir)
  (
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    export WEIR_DATA_DIR=$data
    cd "$data"
    if [ "$svc" = weir-control ]; then
      args=(--data-dir "$data" --engine-api "http://127.0.0.1:$WEIR_API_PORT")
    else
      args=(--data-dir "$data" --config-url "http://127.0.0.1:$WEIR_CONFIG_PORT")
    fi
    # its own process group (setsid), detached from our stdio
    setsid "$bin" "${args[@]}" </dev/null >>"$LOG_DIR/$svc.log" 2>&1 &
    echo $! >"$RUN_DIR/$svc.pid"
  )
  say "started $svc (pid $(cat "$RUN_DIR/$svc.pid"), log ${LOG_DIR#"$ROOT"}/$svc.log)"
}

direct_stop() { # SERVICE
  local svc=$1 pid i
  pid=$(direct_pid "$svc")
  if [ -n "$pid" ]; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; fi
    say "stopped $svc (pid $pid)"
  fi
  rm -f "$RUN_DIR/$svc.pid"
}

can_run() { # true if this run starts/stops services at all
  [ "$NO_START" -eq 0 ] && { [ "$STAGING" -eq 0 ] || [ "$SUPERVISOR" = direct ]; }
}

services_enable() {
  if [ "$SUPERVISOR" != direct ]; then systemctl enable --quiet weir-control.service weir-engine.service; fi
}

services_start() { # a no-op for running services
  if [ "$SUPERVISOR" = direct ]; then
    direct_start weir-control; direct_start weir-engine
  else
    systemctl start weir-control.service weir-engine.service
  fi
}

services_restart() {
  if [ "$SUPERVISOR" = direct ]; then
    direct_stop weir-engine; direct_stop weir-control
    direct_start weir-control; direct_start weir-engine
  else
    systemctl restart weir-control.service
    systemctl restart weir-engine.service
  fi
}

services_stop() {
  if [ "$SUPERVISOR" = direct ]; then
    direct_stop weir-engine; direct_stop weir-control
  elif [ "$STAGING" -eq 0 ]; then
    systemctl disable --now weir-engine.service weir-control.service 2>/dev/null || true
  fi
}

daemon_reload() {
  if [ "$STAGING" -eq 0 ]; then systemctl daemon-reload; fi
}

# ---- health ------------------------------------------------------------------------------------

loopback_host() { # HOST: the address to probe a listener on HOST at
  case "$1" in ''|0.0.0.0|::|'[::]') printf '127.0.0.1' ;; *) printf '%s' "$1" ;; esac
}

http_get() { # URL: prints the body of a 200 answer; fails otherwise
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 "$1" 2>/dev/null
  else
    local rest=${1#http://} hostport path host port line body=0
    hostport=${rest%%/*}; path=/${rest#*/}; host=${hostport%:*}; port=${hostport##*:}
    { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3
    IFS= read -r -t 2 line <&3 || { exec 3<&-; return 1; }
    case "$line" in *" 200 "*) ;; *) exec 3<&-; return 1 ;; esac
    while IFS= read -r -t 2 line <&3; do
      if [ "$body" -eq 1 ]; then printf '%s\n' "$line"; elif [ "${line%$'\r'}" = "" ]; then body=1; fi
    done
    exec 3<&-
  fi
}

CONTROL_HEALTH_URL=
ENGINE_HEALTH_URL=
health_urls() {
  CONTROL_HEALTH_URL="http://$(loopback_host "$(env_get WEIR_CONTROL_HOST 0.0.0.0)"):$(env_get WEIR_CONTROL_PORT 8088)/healthz"
  ENGINE_HEALTH_URL="http://$(loopback_host "$(env_get WEIR_API_HOST 127.0.0.1)"):$(env_get WEIR_API_PORT 8087)/healthz"
}

control_healthy() { http_get "$CONTROL_HEALTH_URL" >/dev/null; }
engine_healthy() { http_get "$ENGINE_HEALTH_URL" | tr -d ' \n' | grep -q '"ready":true'; }

wait_healthy() { # true once both answer healthy, false after HEALTH_TIMEOUT seconds
  health_urls
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  say "waiting up to ${HEALTH_TIMEOUT}s for $CONTROL_HEALTH_URL and $ENGINE_HEALTH_URL"
  while :; do
    if control_healthy && engine_healthy; then say "healthy"; return 0; fi
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.5
  done
  control_healthy && warn "control plane healthy" || warn "control plane not healthy ($CONTROL_HEALTH_URL)"
  engine_healthy && warn "engine ready" || warn "engine not ready ($ENGINE_HEALTH_URL)"
  if [ "$SUPERVISOR" = direct ]; then
    warn "logs: ${LOG_DIR#"$ROOT"}/weir-control.log, ${LOG_DIR#"$ROOT"}/weir-engine.log under $ROOT"
  else
    warn "logs: journalctl -u weir-control -u weir-engine --since '-5min'"
  fi
  return 1
}

# ---- commands ----------------------------------------------------------------------------------

cmd_install() {
  check_from
  ensure_env_file
  ensure_user
  ensure_data_dir
  local cur changed=0
  cur=$(current_release)
  if [ -n "$cur" ] && same_binaries "$cur"; then
    say "release ${cur##*/} already has these binaries; keeping it"
  else
    stage_release
    switch_current "$NEW_RELEASE"
    changed=1
  fi
  write_units
  if [ "$UNITS_CHANGED" -eq 1 ]; then daemon_reload; fi
  if ! can_run; then
    say "installed (not started: $([ "$NO_START" -eq 1 ] && echo --no-start || echo "--root without a supervisor"))"
    prune_releases
    return 0
  fi
  if [ "$changed" -eq 1 ] || [ "$UNITS_CHANGED" -eq 1 ]; then
    # (re)start: services already running must pick up the new binaries or units
    services_enable
    services_restart
  else
    services_enable
    services_start
  fi
  prune_releases
  wait_healthy || die "installed, but the services are not healthy after ${HEALTH_TIMEOUT}s"
  say "installed release $(basename "$(current_release)")"
}

cmd_upgrade() {
  local prev
  prev=$(current_release)
  [ -n "$prev" ] || die "Weir is not installed under ${ROOT:-/} (no ${CURRENT#"$ROOT"}); run: install.sh install"
  [ -n "$FROM" ] || die "upgrade needs --from DIR (the new release's binaries)"
  check_from
  ensure_env_file
  if same_binaries "$prev"; then
    say "release ${prev##*/} already has these binaries; nothing to upgrade"
    return 0
  fi
  stage_release
  write_units
  if [ "$UNITS_CHANGED" -eq 1 ]; then daemon_reload; fi
  switch_current "$NEW_RELEASE"
  if ! can_run; then
    say "upgraded to ${NEW_RELEASE##*/} (not restarted)"
    prune_releases
    return 0
  fi
  services_restart
  if wait_healthy; then
    prune_releases
    say "upgraded ${prev##*/} -> ${NEW_RELEASE##*/}"
    return 0
  fi
  warn "release ${NEW_RELEASE##*/} is not healthy; rolling back to ${prev##*/}"
  switch_current "$prev"
  services_restart
  rm -rf -- "$NEW_RELEASE"
  if wait_healthy; then
    die "upgrade failed: ${NEW_RELEASE##*/} did not become healthy within ${HEALTH_TIMEOUT}s; rolled back to ${prev##*/}"
  fi
  die "upgrade failed and the rolled-back release ${prev##*/} is not healthy either"
}

cmd_uninstall() {
  services_stop
  local which removed=0
  for which in control engine; do
    if [ -e "$UNIT_DIR/weir-$which.service" ]; then rm -f "$UNIT_DIR/weir-$which.service"; removed=1; fi
  done
  if [ "$removed" -eq 1 ]; then daemon_reload; say "removed the units"; fi
  if [ -e "$P" ]; then rm -rf -- "$P"; say "removed ${P#"$ROOT"}"; fi
  local data
  data=$ROOT$(data_dir)
  if [ "$PURGE" -eq 1 ]; then
    case "$data" in "$ROOT"/|"$ROOT"/var|"$ROOT"/var/lib|"$ROOT") die "refusing to remove data directory '$data'" ;; esac
    rm -rf -- "$data" "$ETC" "$RUN_DIR" "$LOG_DIR"
    say "purged ${data#"$ROOT"} and ${ETC#"$ROOT"}"
    if [ "$STAGING" -eq 0 ] && id -u weir >/dev/null 2>&1; then
      userdel weir 2>/dev/null || warn "could not remove user weir"
      getent group weir >/dev/null && { groupdel weir 2>/dev/null || true; }
      say "removed user weir"
    fi
  else
    rm -rf -- "$RUN_DIR"
    [ -d "$data" ] && say "kept ${data#"$ROOT"} and ${ETC#"$ROOT"} (uninstall --purge removes them)"
  fi
  say "uninstalled"
}

cmd_status() {
  local cur rc=0 svc state
  cur=$(current_release)
  if [ -z "$cur" ]; then
    say "not installed under ${ROOT:-/}"
    return 3
  fi
  echo "release:   ${cur##*/} (${cur#"$ROOT"})"
  echo "releases:  $(cd "$RELEASES" && ls -1d -- */ 2>/dev/null | tr -d / | tr '\n' ' ')"
  echo "config:    ${ENV_FILE#"$ROOT"}"
  echo "data:      $(data_dir)"
  for svc in "${SERVICES[@]}"; do
    if [ "$SUPERVISOR" = direct ]; then
      [ -n "$(direct_pid "$svc")" ] && state="running (pid $(direct_pid "$svc"))" || state=stopped
    elif [ "$STAGING" -eq 1 ]; then
      state="(staged under --root)"
    else
      state="$(systemctl is-active "$svc.service" 2>/dev/null || true), $(systemctl is-enabled "$svc.service" 2>/dev/null || true)"
    fi
    printf '%-10s %s\n' "$svc:" "$state"
  done
  if [ "$STAGING" -eq 0 ] || [ "$SUPERVISOR" = direct ]; then
    health_urls
    if control_healthy; then echo "control:   healthy"; else echo "control:   NOT healthy ($CONTROL_HEALTH_URL)"; rc=1; fi
    if engine_healthy; then echo "engine:    ready"; else echo "engine:    NOT ready ($ENGINE_HEALTH_URL)"; rc=1; fi
  fi
  return "$rc"
}

case "$COMMAND" in
  install) cmd_install ;;
  upgrade) cmd_upgrade ;;
  uninstall) cmd_uninstall ;;
  status) cmd_status ;;
esac
