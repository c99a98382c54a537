#!/usr/bin/env bash
# Fitting 12 MP phone photos into facever's 100 KB of base64, side by side:
# `idcheck photo --fit`, Pillow doing the same job (draft + EXIF transpose + resize + 4:2:0,
# the largest size that fits at quality 70 to within 1.5 %, then the highest quality up to 90),
# and `vipsthumbnail` making one thumbnail at the size idcheck found (a single decode, resize
# and encode: a floor, not a search).
#
# Usage: crates/idcheck-core/bench/photo_compare.sh [IDCHECK_BINARY...]
#   (default: the release build in $CARGO_TARGET_DIR or target/). Several binaries (e.g. a
#   build of main as "before") are run one after the other on the same photos.
# Needs: python3 (makes a venv with Pillow from PyPI in $VENV, default /tmp/venv-photo),
#   vipsthumbnail (Debian: apt-get install -y libvips-tools), taskset, /usr/bin/time.
# Env: RUNS (default 7), CPU (default 1), WORK (default a temporary folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
VENV=${VENV:-/tmp/venv-photo}
RUNS=${RUNS:-7}
CPU=${CPU:-1}
WORK=${WORK:-$(mktemp -d)}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q pillow
fi
if [ $# -eq 0 ]; then
    set -- "${CARGO_TARGET_DIR:-$root/target}/release/idcheck"
fi
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail missing: apt-get install -y libvips-tools" >&2; exit 2; }
"$VENV/bin/python" "$here/photo_compare.py" --work "$WORK" --runs "$RUNS" --cpu "$CPU" "$@"
