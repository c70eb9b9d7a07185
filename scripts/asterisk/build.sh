#!/usr/bin/env bash
# Builds a minimal Asterisk 22.10.1 for the real-Asterisk test suite (npm run test:asterisk)
# from the verified upstream tarballs, into a cache outside the clone keyed by the sources'
# hash and this script:
#   ${CONSENTLINE_ASTERISK_HOME:-$HOME/.cache/consentline}/asterisk-22.10.1-<12 hex>
# A second run finds the finished cache and returns at once.
# Env: CONSENTLINE_ASTERISK_SRC  directory holding the tarballs and SHA256SUMS
#                                (default: ../shared/asterisk beside the repository)
#      CONSENTLINE_ASTERISK_HOME cache directory (default: ~/.cache/consentline)
#      CONSENTLINE_ASTERISK_JOBS make -j (default: number of cores)
# Prints the install directory as its last line.
set -euo pipefail
SECONDS=0
version=22.10.1
pjproject=pjproject-2.17.tar.bz2
repo="$(cd "$(dirname "$0")/../.." && pwd)"
script="$repo/scripts/asterisk/build.sh"
src="${CONSENTLINE_ASTERISK_SRC:-$repo/../shared/asterisk}"
home="${CONSENTLINE_ASTERISK_HOME:-$HOME/.cache/consentline}"
jobs="${CONSENTLINE_ASTERISK_JOBS:-$(nproc)}"

fail() { echo "asterisk:build: $*" >&2; exit 1; }

[[ -f "$src/SHA256SUMS" ]] || fail "no SHA256SUMS in $src (set CONSENTLINE_ASTERISK_SRC to the directory holding asterisk-$version.tar.gz, $pjproject and SHA256SUMS)"
key="$(cat "$src/SHA256SUMS" "$script" | sha256sum | cut -c1-12)"
prefix="$home/asterisk-$version-$key"

found_in_cache() {
  [[ -f "$prefix/.complete" && -x "$prefix/sbin/asterisk" ]] || return 1
  echo "== asterisk $version found in cache $prefix (${SECONDS}s)"
  echo "$prefix"
}
found_in_cache && exit 0

# One build per cache key at a time: a second run (another worktree, a parallel CI step) waits
# for the first and then finds its result instead of deleting the half-built tree under it.
mkdir -p "$home"
exec 9>"$home/.build-$key.lock"
if ! flock -n 9; then
  echo "== another asterisk:build of the same sources is running; waiting for it (${SECONDS}s)"
  flock 9
fi
found_in_cache && exit 0

echo "== verifying tarballs in $src"
(cd "$src" && sha256sum --quiet -c SHA256SUMS) || fail "checksum mismatch in $src"
for f in "asterisk-$version.tar.gz" "$pjproject"; do
  grep -q " $f\$" "$src/SHA256SUMS" || fail "$f is not listed in $src/SHA256SUMS"
done

# Debian build dependencies, plus what the test suite uses at run time (sounds, music on hold, sipp).
deps=(build-essential pkg-config libedit-dev libjansson-dev libxml2-dev uuid-dev libsqlite3-dev
  libssl-dev libsrtp2-dev libcurl4-openssl-dev libxslt1-dev bzip2 patch
  asterisk-core-sounds-en-wav asterisk-moh-opsound-wav sip-tester)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]]; then
    echo "== apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    fail "missing Debian packages: ${missing[*]}
run as root, or: sudo apt-get install -y ${missing[*]}"
  fi
fi

# Modules: what ConsentLine, the shipped dialplan (asterisk/extensions.conf, asterisk/freepbx) and
# test/asterisk use (CDR/CEL over AMI, transfers, queues and conferences for recording control and
# assurance). Local channels, AMI, CDR/CEL cores and Answer/Goto/Set/Wait/NoOp are core.
modules=(
  chan_pjsip res_pjproject res_rtp_asterisk 'res_sorcery_*' res_pjsip res_pjsip_session res_pjsip_sdp_rtp
  res_pjsip_authenticator_digest res_pjsip_outbound_authenticator_digest res_pjsip_endpoint_identifier_ip
  res_pjsip_endpoint_identifier_user res_pjsip_caller_id res_pjsip_dtmf_info res_pjsip_nat res_pjsip_rfc3326
  res_pjsip_logger res_pjsip_header_funcs res_pjsip_acl res_pjsip_config_wizard
  res_ari 'res_ari_*' res_stasis res_stasis_answer res_stasis_device_state res_stasis_playback
  res_stasis_recording res_stasis_snoop res_stasis_mailbox res_stasis_broadcast app_stasis res_http_websocket
  app_mixmonitor app_playback app_queue app_dial app_echo app_verbose app_exec app_stack
  app_senddtmf app_userevent app_originate app_read
  func_channel func_strings func_callerid func_logic func_cdr func_global func_math func_timeout func_pjsip_endpoint
  codec_ulaw codec_alaw codec_gsm codec_resample
  format_wav format_pcm format_gsm format_sln format_wav_gsm
  res_musiconhold res_timing_timerfd pbx_config res_clioriginate res_format_attr_opus
  bridge_simple bridge_native_rtp bridge_softmix bridge_holding bridge_builtin_features bridge_builtin_interval_features
  cdr_manager cel_manager res_pjsip_refer app_confbridge app_while app_db func_db func_dialplan func_hangupcause
  app_record app_transfer app_bridgewait res_parking app_directed_pickup
)

build="$home/build-$version-$key"
rm -rf "$build" "$prefix"
mkdir -p "$build/externals" "$home"
ln -sf "$src/$pjproject" "$build/externals/$pjproject"
echo "== unpacking into $build"
tar -xzf "$src/asterisk-$version.tar.gz" -C "$build"
cd "$build/asterisk-$version"
echo "$version" > .version

echo "== configure (${SECONDS}s)"
./configure --prefix="$prefix" --with-externals-cache="$build/externals" \
  --with-pjproject-bundled --with-jansson-bundled=no >"$build/configure.log" 2>&1 \
  || { tail -40 "$build/configure.log"; fail "configure failed (log: $build/configure.log)"; }

select_modules() {
  make menuselect.makeopts >/dev/null
  local available
  # Full names from the tree (menuselect --list-options cuts them at 30 characters).
  available="$(grep -o '<member name="[^"]*"' menuselect-tree | sed 's/.*name="//; s/"$//')"
  local wanted=()
  for pattern in "${modules[@]}"; do
    local hit=0
    for name in $available; do
      # shellcheck disable=SC2053
      if [[ "$name" == $pattern ]]; then wanted+=("$name"); hit=1; fi
    done
    ((hit)) || echo "   (module $pattern not offered by menuselect)"
  done
  # Close over the modules each one depends on or uses (MODULEINFO in its sources): Asterisk's
  # loader refuses a module whose dependency is absent (app_stack needs res_agi, app_mixmonitor
  # func_periodic_hook, res_pjsip res_geolocation and res_statsd), and --disable-all drops them.
  local enable=() seen=" " m d f
  while ((${#wanted[@]})); do
    m="${wanted[0]}"; wanted=("${wanted[@]:1}")
    [[ "$seen" == *" $m "* ]] && continue
    seen+="$m "; enable+=(--enable "$m")
    for f in */"$m".c */"$m"/*.c; do
      [[ -f "$f" ]] || continue
      for d in $(grep -oE '<(depend|use)( type="module")?>[A-Za-z0-9_]+' "$f" | sed 's/.*>//'); do
        grep -qx "$d" <<<"$available" && wanted+=("$d")
      done
    done
  done
  echo "   enabled: $seen"
  # --disable-all also clears the compiler flags: OPTIONAL_API is on by default upstream, and
  # without it res_ari_events cannot load (stasis_app_claim_channel of res_stasis_broadcast).
  menuselect/menuselect --disable-all "${enable[@]}" \
    --enable OPTIONAL_API --disable BUILD_NATIVE --disable-category MENUSELECT_CORE_SOUNDS \
    --disable-category MENUSELECT_MOH --disable-category MENUSELECT_EXTRA_SOUNDS \
    --disable-category MENUSELECT_UTILS menuselect.makeopts >/dev/null
}
echo "== menuselect (${SECONDS}s)"
select_modules

echo "== make -j$jobs (${SECONDS}s)"
make -j"$jobs" >"$build/make.log" 2>&1 || { tail -40 "$build/make.log"; fail "make failed (log: $build/make.log)"; }
echo "== make install (${SECONDS}s)"
make install >"$build/install.log" 2>&1 || { tail -40 "$build/install.log"; fail "make install failed (log: $build/install.log)"; }

for m in chan_pjsip res_pjsip res_ari res_ari_events res_stasis_broadcast app_stasis app_stack app_mixmonitor app_queue pbx_config; do
  [[ -f "$prefix/lib/asterisk/modules/$m.so" ]] || fail "module $m missing after install (menuselect reset?)"
done
"$prefix/sbin/asterisk" -V
touch "$prefix/.complete"
rm -rf "$build"
echo "== asterisk $version built into $prefix in ${SECONDS}s ($(ls "$prefix/lib/asterisk/modules" | wc -l) modules)"
echo "$prefix"
