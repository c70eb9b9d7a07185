#!/usr/bin/env bash
# Stop the throwaway cluster started by scripts/rgw/start.sh and remove its state directory.
#   RGW_DIR   state directory (default /tmp/consentline-rgw)
#   RGW_KEEP=1  keep the directory (logs) after stopping
# Only the processes whose pid files live in RGW_DIR are signalled, and only if they still are
# Ceph daemons (guards against pid reuse).
set -uo pipefail
DIR=${RGW_DIR:-/tmp/consentline-rgw}
log() { printf '[rgw] %s\n' "$*" >&2; }

[[ -d $DIR ]] || { log "nothing to stop ($DIR absent)"; exit 0; }

pids=()
for f in client.rgw.a.pid osd.0.pid mon.a.pid; do
  p=$(cat "$DIR/run/$f" 2>/dev/null) || continue
  [[ $p =~ ^[0-9]+$ ]] || continue
  comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
  case $comm in radosgw | ceph-osd | ceph-mon) ;; *) continue ;; esac
  # the daemon's own command line must point at this directory's config
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/ceph.conf" || continue
  kill -TERM "$p" 2>/dev/null && pids+=("$p")
done
for _ in $(seq 1 50); do
  left=()
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left+=("$p"); done
  ((${#left[@]})) || break
  sleep 0.1
done
for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null; done
if [[ ${RGW_KEEP:-0} != 1 ]]; then
  rm -rf -- "$DIR"
fi
log "stopped (${#pids[@]} daemons) $DIR"
