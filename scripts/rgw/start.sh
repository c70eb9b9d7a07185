#!/usr/bin/env bash
# Start a throwaway single-node Ceph cluster (1 mon, 1 memstore OSD, no mgr) and a RADOS Gateway
# on 127.0.0.1, for tests and benchmarks that need a real S3 implementation.
#
#   scripts/rgw/start.sh            # prints the endpoint JSON on stdout (last line)
#
# Environment (all optional):
#   RGW_DIR           state directory (default /tmp/consentline-rgw); one cluster per directory
#   RGW_JSON          where to write the endpoint JSON (default $RGW_DIR/endpoint.json)
#   RGW_PORT          S3 port (default: a free one)
#   RGW_REGION        zonegroup api_name (default eu-central-1)
#   RGW_MEMSTORE_MB   RAM cap of the memstore OSD in MiB (default 3072; data lives in RAM)
#
# Idempotent: when the cluster in RGW_DIR is already up and answering, it only prints the JSON.
# Installs ceph-mon ceph-osd radosgw ceph-common (Debian packages) when missing; needs root then.
# Quirks and reasons: shared/design/S3-NOTES.md.
set -euo pipefail

DIR=${RGW_DIR:-/tmp/consentline-rgw}
JSON=${RGW_JSON:-$DIR/endpoint.json}
REGION=${RGW_REGION:-eu-central-1}
MEMSTORE_MB=${RGW_MEMSTORE_MB:-3072}
ACCESS_KEY=${RGW_ACCESS_KEY:-CONSENTLINETESTKEY01}
SECRET_KEY=${RGW_SECRET_KEY:-consentline-test-secret-0123456789abcdef}
KMS_KEY_ID=consentline-test-kms-key
# Fixed 256-bit test key for the SSE-KMS "testing" backend (never a real secret).
KMS_KEY_B64=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=

log() { printf '[rgw] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
# Busy: something listens there, or any socket (an outgoing connection's local end included)
# holds it; without ss, only a listener is seen.
port_busy() {
  if command -v ss >/dev/null; then
    [[ -n $(ss -Htan "( sport = :$1 )" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
# Ports below the kernel's ephemeral range: a port picked inside it can be held as the local end
# of some outgoing (or TIME_WAIT) connection when the daemon binds it (seen in a clean-clone CI
# run: ceph-mon "Address already in use").
free_port() {
  local p i low high lo=10000 span
  read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { low=32768; high=60999; }
  if ((low - lo >= 1000)); then span=$((low - lo)); else lo=$((high + 1)); span=$((65535 - high)); fi
  for i in $(seq 1 50); do
    p=$(( lo + (RANDOM * 32768 + RANDOM) % span ))
    if ! port_busy "$p"; then echo "$p"; return 0; fi
  done
  die "no free port found"
}
http_up() {
  # Any HTTP answer from the gateway (anonymous ListBuckets → 200 or 403) means it is serving.
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null || true)
  [[ $code =~ ^[2-4][0-9][0-9]$ ]]
}

# ---------------------------------------------------------------- already running?
if [[ -f $DIR/endpoint.json ]] && alive "$DIR/run/mon.pid" && alive "$DIR/run/osd.pid" && alive "$DIR/run/rgw.pid"; then
  port=$(sed -n 's/.*"port": *\([0-9]*\).*/\1/p' "$DIR/endpoint.json")
  if [[ -n $port ]] && http_up "$port"; then
    [[ $JSON != "$DIR/endpoint.json" ]] && cp "$DIR/endpoint.json" "$JSON"
    log "already running on port $port ($DIR)"
    tr -d '\n' <"$DIR/endpoint.json"; echo
    exit 0
  fi
fi
if [[ -d $DIR ]]; then
  log "stale state in $DIR: stopping and rebuilding"
  RGW_DIR=$DIR "$(dirname "$0")/stop.sh" >&2 || true
fi

# ---------------------------------------------------------------- install if missing
need=()
for b in ceph-mon ceph-osd radosgw ceph ceph-authtool monmaptool radosgw-admin curl; do
  command -v "$b" >/dev/null 2>&1 || need+=("$b")
done
if ((${#need[@]})); then
  log "missing: ${need[*]}; installing Debian packages (ceph-mon ceph-osd radosgw ceph-common curl)"
  SUDO=
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "not root and no sudo: install ceph-mon ceph-osd radosgw ceph-common curl"
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  # Daemons must not be started by the packages' maintainer scripts (there is no init here anyway).
  $SUDO apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    ceph-mon ceph-osd radosgw ceph-common curl ca-certificates >&2
  for b in ceph-mon ceph-osd radosgw ceph ceph-authtool monmaptool radosgw-admin curl; do
    command -v "$b" >/dev/null 2>&1 || die "$b still missing after install"
  done
fi

# ---------------------------------------------------------------- cluster files
[[ $MEMSTORE_MB =~ ^[0-9]+$ ]] || die "RGW_MEMSTORE_MB must be a number of MiB"
# A failed start leaves no daemons behind (logs stay in $DIR for the error message).
trap 'rc=$?; if ((rc)); then RGW_DIR=$DIR RGW_KEEP=1 "$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true; fi' EXIT
t0=$(date +%s%N)
mkdir -p "$DIR"/{run,log,mon,osd}
CONF=$DIR/ceph.conf
FSID=$(cat /proc/sys/kernel/random/uuid)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
MON_PORT=$(free_port)
PORT=${RGW_PORT:-$(free_port)}
[[ $PORT == "$MON_PORT" ]] && PORT=$(free_port)

cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.pid
log to stderr = false
err to stderr = true
# tiny cluster: one OSD holds every replica, no manager
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd crush chooseleaf type = 0
mon data avail warn = 1
mon data avail crit = 0
# keep memory and threads small
ms async op threads = 2
osd op num shards = 1
osd op num threads per shard = 2
osd objectstore = memstore
memstore device bytes = $(( MEMSTORE_MB * 1024 * 1024 ))
osd fast shutdown = true
mon data = $DIR/mon/\$cluster-\$id
osd data = $DIR/osd/\$cluster-\$id

[client.rgw.a]
keyring = $DIR/rgw.keyring
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw thread pool size = 64
rgw max concurrent requests = 256
rgw cache lru size = 2000
rgw enable usage log = false
rgw enable ops log = false
# deleted tails go back to the (RAM-backed) OSD quickly instead of after the 2 h default
rgw gc obj min wait = 10
rgw gc processor period = 15
rgw lc debug interval = 10
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $KMS_KEY_ID=$KMS_KEY_B64
EOF

# Keys: the mon keyring carries every entity, so no `ceph auth add` round trips are needed.
ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool --create-keyring "$DIR/osd.keyring" --gen-key -n osd.0 \
  --cap mon 'allow profile osd' --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
ceph-authtool --create-keyring "$DIR/rgw.keyring" --gen-key -n client.rgw.a \
  --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
for k in keyring osd.keyring rgw.keyring; do
  ceph-authtool "$DIR/mon.keyring" --import-keyring "$DIR/$k" >/dev/null
done
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null

# ---------------------------------------------------------------- monitor
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring" >&2
ceph-mon -c "$CONF" -i a 2>>"$DIR/log/mon-start.log" || die "ceph-mon failed: $(tail -n 20 "$DIR/log/mon.a.log" 2>/dev/null)"
cp "$DIR/run/mon.a.pid" "$DIR/run/mon.pid" 2>/dev/null || true

C() { timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"; }

# ---------------------------------------------------------------- OSD
OSD_ID=$(C osd new "$OSD_UUID" -i - <<<'{}' 2>/dev/null) || die "ceph osd new failed (mon not reachable?): $(tail -n 20 "$DIR/log/mon.a.log")"
[[ $OSD_ID == 0 ]] || die "unexpected OSD id '$OSD_ID'"
mkdir -p "$DIR/osd/ceph-0"
cp "$DIR/osd.keyring" "$DIR/osd/ceph-0/keyring"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" --no-mon-config \
  --keyring "$DIR/osd/ceph-0/keyring" >"$DIR/log/osd-mkfs.log" 2>&1 \
  || die "ceph-osd --mkfs failed: $(tail -n 20 "$DIR/log/osd-mkfs.log")"
ceph-osd -c "$CONF" -i 0 --keyring "$DIR/osd/ceph-0/keyring" 2>>"$DIR/log/osd-start.log" \
  || die "ceph-osd failed: $(tail -n 20 "$DIR/log/osd.0.log")"
cp "$DIR/run/osd.0.pid" "$DIR/run/osd.pid" 2>/dev/null || true

for i in $(seq 1 100); do
  if C osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1'; then break; fi
  ((i == 100)) && die "OSD did not come up: $(tail -n 20 "$DIR/log/osd.0.log")"
  sleep 0.2
done

# ---------------------------------------------------------------- gateway
RA() { timeout 60 radosgw-admin -c "$CONF" -n client.rgw.a "$@"; }
# Creates the default realm-less zonegroup/zone (and the .rgw.root pool), then renames its API
# region so CreateBucket/GetBucketLocation speak "$REGION".
# `user create` also creates the default realm-less zonegroup/zone and RGW's pools; afterwards the
# zonegroup's API name becomes "$REGION" so CreateBucket/GetBucketLocation speak it.
RA user create --uid=consentline-test --display-name="ConsentLine test" \
  --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null 2>"$DIR/log/radosgw-admin.log" \
  || die "user create failed: $(tail -n 20 "$DIR/log/radosgw-admin.log")"
RA zonegroup modify --rgw-zonegroup=default --api-name="$REGION" >/dev/null 2>>"$DIR/log/radosgw-admin.log" \
  || die "zonegroup modify failed: $(tail -n 20 "$DIR/log/radosgw-admin.log")"

radosgw -c "$CONF" -n client.rgw.a 2>>"$DIR/log/rgw-start.log" || die "radosgw failed: $(tail -n 20 "$DIR/log/client.rgw.a.log")"
for i in $(seq 1 150); do
  http_up "$PORT" && break
  ((i == 150)) && die "radosgw did not answer on 127.0.0.1:$PORT: $(tail -n 20 "$DIR/log/client.rgw.a.log")"
  sleep 0.2
done
cp "$DIR/run/client.rgw.a.pid" "$DIR/run/rgw.pid" 2>/dev/null || true
alive "$DIR/run/rgw.pid" || die "radosgw pid file missing"

cat >"$DIR/endpoint.json" <<EOF
{
  "endpoint": "http://127.0.0.1:$PORT",
  "port": $PORT,
  "region": "$REGION",
  "accessKeyId": "$ACCESS_KEY",
  "secretAccessKey": "$SECRET_KEY",
  "kmsKeyId": "$KMS_KEY_ID",
  "forcePathStyle": true,
  "dir": "$DIR",
  "pids": { "mon": $(cat "$DIR/run/mon.pid"), "osd": $(cat "$DIR/run/osd.pid"), "rgw": $(cat "$DIR/run/rgw.pid") }
}
EOF
[[ $JSON != "$DIR/endpoint.json" ]] && cp "$DIR/endpoint.json" "$JSON"
log "up on http://127.0.0.1:$PORT in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($DIR)"
tr -d '\n' <"$DIR/endpoint.json"; echo
