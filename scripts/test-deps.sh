#!/usr/bin/env bash
# Installs the real clients the end-to-end tests drive (ffmpeg, ffprobe, rtmpdump, srt-live-transmit, GStreamer, and the headless
# Chromium of the browser tests, with fonts for readable screenshots, and systemd-analyze for the
# install.sh tests) from Debian's packages when they are missing. Runs before every `npm test`; a
# no-op once installed.
set -euo pipefail
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v rtmpdump >/dev/null 2>&1 || missing+=(rtmpdump)
# test/e2e/srt-relay: libsrt's own srt-live-transmit as a third-party SRT listener and caller.
command -v srt-live-transmit >/dev/null 2>&1 || missing+=(srt-tools)
# test/browser launches exactly /usr/bin/chromium (never a downloaded browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# Only a Recommends of chromium-common, which --no-install-recommends would skip.
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
# test/install checks the generated units with `systemd-analyze verify` (no running systemd needed).
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
# test/relay: nginx with Debian's RTMP module as a third-party peer, openssl for a self-signed RTMPS certificate.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
# test/e2e/rtsp-gstreamer and test/relay/rtsp-gstreamer-source: GStreamer's RTSP elements as third-party clients
# (rtspsrc: -good; rtspclientsink: gstreamer1.0-rtsp; x264enc: -ugly; avdec_*/avenc_aac: -libav) and its RTSP server
# library, driven by /usr/bin/python3 through GObject introspection.
command -v gst-launch-1.0 >/dev/null 2>&1 || missing+=(gstreamer1.0-tools)
for plugin in plugins-base plugins-good plugins-bad plugins-ugly libav rtsp; do
  dpkg -s "gstreamer1.0-$plugin" >/dev/null 2>&1 || missing+=("gstreamer1.0-$plugin")
done
dpkg -s gir1.2-gst-rtsp-server-1.0 >/dev/null 2>&1 || missing+=(gir1.2-gst-rtsp-server-1.0)
dpkg -s python3-gi >/dev/null 2>&1 || missing+=(python3-gi)
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "test-deps: missing $packages; install them (apt-get install $packages) or run as root" >&2
    exit 1
  fi
else SUDO=; fi
echo "test-deps: installing $packages" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
