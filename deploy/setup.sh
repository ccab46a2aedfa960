#!/usr/bin/env bash
# One idempotent set-up for `npm run demo`, `npm test` and `npm run bench` on Debian 12 (run as root,
# or with passwordless sudo). Each step is skipped when its inputs have not changed since it last ran,
# so a second run takes a few seconds.
#   deploy/setup.sh          what the service and the demo need
#   deploy/setup.sh --tests  also the test tools (Chromium for the page tests, shellcheck, mosquitto for MQTT)
#   deploy/setup.sh --bench  also what the benchmarks need beyond the service (mosquitto for the outputs scenario)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages: GStreamer 1.22 + rtsp-server, cairo for the overlay, ffmpeg, redis-server ----
debs=(pkg-config cmake g++ make python3
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev libcairo2-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
  ffmpeg redis-server fonts-dejavu-core procps)
case "${1:-}" in
  --tests) debs+=(chromium shellcheck openssl mosquitto) ;;
  --bench) debs+=(mosquitto) ;;
esac
[ -n "${OWL_SETUP_EXTRA_DEBS:-}" ] && read -r -a extra <<<"$OWL_SETUP_EXTRA_DEBS" && debs+=("${extra[@]}")
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm dependencies: only when package-lock.json changed --------------------------------------
stamp=node_modules/.owl-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# --- native addon (cmake-js, incremental) and TypeScript (tsc --incremental) --------------------
node deploy/build-native.js
say "tsc"
npx --no-install tsc -p tsconfig.json
say "ready"
