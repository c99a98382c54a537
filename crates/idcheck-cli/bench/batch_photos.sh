#!/usr/bin/env bash
# `idcheck batch --check face --fit-photos --dry-run` on a file of 12 MP phone photos: phase 1
# fits every photo (the rows' ID numbers differ, so each row is its own request and its photo
# is read and fitted). Whole processes, wall time and peak RSS, on every core and on one.
#
# Usage: crates/idcheck-cli/bench/batch_photos.sh [IDCHECK_BINARY...]
#   (default: the release build in $CARGO_TARGET_DIR or target/). Several binaries (e.g. a
#   build of main as "before") are run one after the other on the same file.
# Needs: python3 (a venv with Pillow in $VENV, default /tmp/venv-photo, made if missing),
#   /usr/bin/time, taskset.
# Env: PHOTOS (distinct photo files, default 8), ROWS (rows, default 48), RUNS (default 3),
#   WORK (default a temporary folder).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
VENV=${VENV:-/tmp/venv-photo}
PHOTOS=${PHOTOS:-8}
ROWS=${ROWS:-48}
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d)}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q pillow
fi
if [ $# -eq 0 ]; then
    set -- "${CARGO_TARGET_DIR:-$root/target}/release/idcheck"
fi
"$VENV/bin/python" - "$WORK" "$PHOTOS" "$ROWS" "$root/crates/idcheck-core/bench" <<'PY'
import os, sys
work, photos, rows, bench = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, bench)
from photo_compare import photo
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
for n in range(photos):
    p = os.path.join(work, f"face-{n}.jpg")
    if not os.path.exists(p):
        photo(4000, 3000, 10 + n).save(p, quality=92, subsampling=2, progressive=(n % 4 == 3))
with open(os.path.join(work, "faces.csv"), "w") as out:
    out.write("id,name,photo\n")
    for r in range(rows):
        first17 = f"11010519800101{r % 1000:03d}"
        check = "10X98765432"[sum(int(c) * w for c, w in zip(first17, W)) % 11]
        out.write(f"{first17}{check},张三,face-{r % photos}.jpg\n")
PY
cores=$(nproc)
for binary in "$@"; do
    for pin in "0-$((cores - 1))" 0; do
        for run in $(seq "$RUNS"); do
            /usr/bin/time -f "%e s %M KiB" -o "$WORK/time" taskset -c "$pin" \
                "$binary" batch "$WORK/faces.csv" --check face --fit-photos --dry-run \
                --progress-every 1000000 >/dev/null 2>"$WORK/stderr"
            grep -q "$ROWS valid" "$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
            echo "$binary cpus $pin run $run: $(cat "$WORK/time")"
        done
    done
done
