#!/usr/bin/env bash
# Installs what the fan-out benchmark compares against, outside the repository:
#   - Debian's nginx + libnginx-mod-rtmp (RTMP only; it has no HTTP-FLV)
#   - node-media-server into an isolated prefix (never into the repo's package.json)
#   - SRS built from a local source (SRS_SOURCE: a bare git directory or a source tree; default
#     /work/.mirror/ossrs+srs/repo when present) into SRS_PREFIX (default /tmp/weir-bench/srs)
#   - the test stream: a 2.5 Mbit/s H.264 + AAC 1280x720 test pattern with a 1 s GOP, as FLV
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NMS_PREFIX="${NMS_PREFIX:-${WEIR_BENCH_TMP:-/tmp/weir-bench}/nms}"
NMS_VERSION="${NMS_VERSION:-4.4.3}"
CACHE="${BENCH_CACHE:-$HERE/.cache}"
mkdir -p "$CACHE"

# apt-get install, with an apt-get update first only when the package lists are stale
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$@" >/dev/null; }
}

# encode OUT SIZE RATE SECONDS: a testsrc2 pattern and a 440 Hz tone, 30 fps H.264 main with no
# B-frames and a 1 s GOP at a constant RATE (e.g. 2500k), AAC 128k stereo, as FLV
encode() {
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=$2:rate=30" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t "$4" -map 0:v -map 1:a \
    -c:v libx264 -preset veryfast -tune zerolatency -profile:v main -pix_fmt yuv420p \
    -b:v "$3" -minrate "$3" -maxrate "$3" -bufsize "$3" -x264-params "nal-hrd=cbr:force-cfr=1" \
    -g 30 -keyint_min 30 -sc_threshold 0 -bf 0 \
    -c:a aac -b:a 128k -ac 2 \
    -f flv "$1"
}

if ! command -v nginx >/dev/null || [ ! -e /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
  echo "setup: installing nginx + libnginx-mod-rtmp" >&2
  apt_install nginx-light libnginx-mod-rtmp
  # Debian starts the packaged service; the benchmark runs its own instance on free ports.
  (systemctl stop nginx 2>/dev/null || service nginx stop 2>/dev/null || true) >/dev/null 2>&1
fi

if [ ! -f "$NMS_PREFIX/node_modules/node-media-server/package.json" ]; then
  echo "setup: installing node-media-server@$NMS_VERSION into $NMS_PREFIX" >&2
  mkdir -p "$NMS_PREFIX"
  npm install --silent --no-audit --no-fund --prefix "$NMS_PREFIX" "node-media-server@$NMS_VERSION" >/dev/null
fi

SRS_SOURCE="${SRS_SOURCE:-}"
if [ -z "$SRS_SOURCE" ] && [ -d /work/.mirror/ossrs+srs/repo ]; then SRS_SOURCE=/work/.mirror/ossrs+srs/repo; fi
if [ -n "$SRS_SOURCE" ]; then
  # a failed SRS build should not stop the benchmarks of the other servers: they skip SRS
  "$HERE/peers/build-srs.sh" "$SRS_SOURCE" "${SRS_PREFIX:-${WEIR_BENCH_TMP:-/tmp/weir-bench}/srs}" >/dev/null \
    || echo "setup: building SRS from $SRS_SOURCE failed (see above); the benchmarks skip SRS" >&2
else
  echo "setup: no SRS source (set SRS_SOURCE to an SRS git directory or source tree); the benchmarks skip SRS" >&2
fi

# bench/srt.ts runs srt-live-transmit as the reference relay
if ! command -v srt-live-transmit >/dev/null; then
  echo "setup: installing srt-tools (srt-live-transmit)" >&2
  apt_install srt-tools
fi

for cmd in ffmpeg taskset; do command -v "$cmd" >/dev/null || { echo "setup: $cmd missing (apt-get install ffmpeg util-linux)" >&2; exit 1; }; done

SRC="$CACHE/src-720p-2500k.flv"
if [ ! -s "$SRC" ]; then
  echo "setup: encoding $SRC (60 s, 1280x720 30 fps, 2.5 Mbit/s CBR-ish H.264, 1 s GOP, AAC 128k)" >&2
  encode "$SRC" 1280x720 2500k 60
fi
# bench/srt.ts: the same stream as MPEG-TS, for ffmpeg's SRT publishers (no re-encode)
SRC_TS="$CACHE/src-720p-2500k.ts"
if [ ! -s "$SRC_TS" ]; then
  echo "setup: remuxing $SRC_TS" >&2
  ffmpeg -hide_banner -loglevel error -y -i "$SRC" -c copy -f mpegts "$SRC_TS"
fi

# bench/rtsp.ts: a 1080p camera-like stream (H.264 main, no B-frames, 1 s GOP, 4 Mbit/s, AAC)
SRC_1080="$CACHE/src-1080p-4000k.flv"
if [ ! -s "$SRC_1080" ]; then
  echo "setup: encoding $SRC_1080 (30 s, 1920x1080 30 fps, 4 Mbit/s H.264, 1 s GOP, AAC 128k)" >&2
  encode "$SRC_1080" 1920x1080 4000k 30
fi
echo "setup: ok ($SRC, $SRC_TS, $SRC_1080)" >&2
