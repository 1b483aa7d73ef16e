#!/usr/bin/env bash
# Builds SRS (https://github.com/ossrs/srs) from a local source for the fan-out benchmark, offline.
#
#   bench/peers/build-srs.sh SRS_SOURCE [PREFIX]
#
# SRS_SOURCE is either a bare git directory of the SRS repository (e.g. /work/.mirror/ossrs+srs/repo;
# its HEAD is built) or an unpacked source tree (the repository root holding trunk/, or trunk/
# itself). PREFIX (default /tmp/weir-bench/srs, outside the repository) receives the build tree
# and bin/srs; BUILD_INFO there records the version, commit and configure line. Prints the
# binary's path on stdout. Idempotent: a build of the same source and configure line is reused.
#
# Nothing is downloaded: SRS bundles state-threads; OpenSSL comes from Debian's libssl-dev
# (--sys-ssl=on), so the bundled OpenSSL tarball is not needed (some snapshots lack it). Only
# what RTMP and HTTP-FLV need is built: WebRTC, SRT, GB28181, HDS, FFmpeg and the unit tests are
# off. AddressSanitizer is off as in SRS's release images (its ./configure turns ASAN on by
# default, which costs CPU and memory no production user runs with); everything else keeps
# SRS's defaults, including its -g -O0 (SRS's release binaries are built that way too).
# SRS_EXTRA_CONFIGURE adds options, e.g. SRS_EXTRA_CONFIGURE=--extra-flags=-O2 for an optimised
# build (a different prefix keeps both).
set -euo pipefail

SOURCE="${1:-}"
PREFIX="${2:-${SRS_PREFIX:-/tmp/weir-bench/srs}}"
JOBS="${SRS_JOBS:-2}"
if [ -z "$SOURCE" ] || [ ! -e "$SOURCE" ]; then
  echo "usage: $0 SRS_SOURCE_DIR_OR_BARE_GIT_DIR [PREFIX]  (source '${SOURCE}' not found)" >&2
  exit 2
fi
case "$PREFIX" in /*) ;; *) PREFIX="$PWD/$PREFIX" ;; esac
SOURCE="$(cd "$SOURCE" && pwd)"

CONFIGURE_FLAGS=(--sys-ssl=on --sanitizer=off --rtc=off --srt=off --gb28181=off --hds=off --ffmpeg-fit=off --utest=off "--jobs=$JOBS")
# shellcheck disable=SC2206 # word splitting of the extra options is intended
[ -n "${SRS_EXTRA_CONFIGURE:-}" ] && CONFIGURE_FLAGS+=(${SRS_EXTRA_CONFIGURE})

# The build tools SRS's auto/depends.sh checks for, plus the OpenSSL headers for --sys-ssl.
need=()
for pair in gcc:gcc g++:g++ make:make patch:patch unzip:unzip automake:automake perl:perl pkg-config:pkg-config; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ "${#need[@]}" -gt 0 ]; then
  echo "build-srs: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

# Identify the source: the commit for a git directory, a content hash of the tree otherwise.
is_git=no
if git --git-dir="$SOURCE" rev-parse --verify -q HEAD >/dev/null 2>&1 && [ ! -d "$SOURCE/trunk" ] && [ ! -f "$SOURCE/configure" ]; then
  is_git=yes
  SOURCE_ID="git $(git --git-dir="$SOURCE" rev-parse HEAD)"
else
  if [ -f "$SOURCE/trunk/configure" ]; then TRUNK_IN="$SOURCE/trunk"; elif [ -f "$SOURCE/configure" ]; then TRUNK_IN="$SOURCE"; else
    echo "build-srs: $SOURCE is neither a bare SRS git directory nor a tree with trunk/configure" >&2
    exit 2
  fi
  SOURCE_ID="tree $(cd "$TRUNK_IN" && find src auto configure -type f -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-40)"
fi
STAMP="$SOURCE_ID | ./configure --prefix=$PREFIX ${CONFIGURE_FLAGS[*]}"
BIN="$PREFIX/bin/srs"
if [ -x "$BIN" ] && [ -f "$PREFIX/BUILD_STAMP" ] && [ "$(cat "$PREFIX/BUILD_STAMP")" = "$STAMP" ]; then
  echo "build-srs: up to date ($SOURCE_ID)" >&2
  echo "$BIN"
  exit 0
fi

BUILD="$PREFIX/build"
# a failed build leaves no binary behind that BUILD_INFO would describe wrongly
rm -rf "$BUILD" "$BIN" "$PREFIX/BUILD_STAMP" "$PREFIX/BUILD_INFO"
mkdir -p "$BUILD" "$PREFIX/bin"
if [ "$is_git" = yes ]; then
  # A mirror may hold only pointers for its largest blobs; skip those that are absent (the
  # bundled OpenSSL tarball, a sample video): the build fails clearly if one was in fact needed.
  missing=()
  while read -r _ _ sha path; do
    missing+=(":(exclude)$path")
    echo "build-srs: $path is absent from the mirror (blob $sha); skipping it" >&2
  done < <(git --git-dir="$SOURCE" ls-tree -r HEAD trunk \
    | awk '{print $3}' \
    | git --git-dir="$SOURCE" cat-file --batch-check='%(objectname) %(objecttype)' 2>/dev/null \
    | awk '$2 == "missing" {print $1}' \
    | { grep -F -f - <(git --git-dir="$SOURCE" ls-tree -r HEAD trunk) || true; })
  # git still names an excluded absent blob on stderr; a truncated archive makes tar fail
  git --git-dir="$SOURCE" archive HEAD trunk "${missing[@]}" 2>"$PREFIX/archive.log" | tar -x -C "$BUILD"
else
  mkdir -p "$BUILD/trunk"
  cp -a "$TRUNK_IN/." "$BUILD/trunk/"
fi

cd "$BUILD/trunk"
# the highest srs_core_versionN.hpp holds this release's MAJOR.MINOR.REVISION
VERSION_FILE="$(ls src/core/srs_core_version[0-9]*.hpp | sort -V | tail -1)"
VERSION="$(awk '/define VERSION_(MAJOR|MINOR|REVISION)/ {v = v (v ? "." : "") $3} END {print v}' "$VERSION_FILE")"
echo "build-srs: building SRS $VERSION ($SOURCE_ID) in $BUILD/trunk" >&2
start=$(date +%s)
./configure --prefix="$PREFIX" "${CONFIGURE_FLAGS[@]}" >"$PREFIX/configure.log" 2>&1 \
  || { tail -30 "$PREFIX/configure.log" >&2; echo "build-srs: configure failed (log: $PREFIX/configure.log)" >&2; exit 1; }
make -j"$JOBS" >"$PREFIX/make.log" 2>&1 \
  || { tail -30 "$PREFIX/make.log" >&2; echo "build-srs: make failed (log: $PREFIX/make.log)" >&2; exit 1; }
cp objs/srs "$BIN"
secs=$(( $(date +%s) - start ))
{
  echo "version=$VERSION"
  echo "source=$SOURCE_ID"
  echo "configure=./configure --prefix=$PREFIX ${CONFIGURE_FLAGS[*]}"
  echo "build_seconds=$secs"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$PREFIX/BUILD_INFO"
echo "$STAMP" >"$PREFIX/BUILD_STAMP"
echo "build-srs: built SRS $VERSION in ${secs} s" >&2
echo "$BIN"
