"""Driver for photo_compare.sh: makes the photos, runs each tool pinned to one core, prints
medians, pixel counts and peak RSS. Photos are generated (no files shipped)."""
import argparse, json, math, os, re, statistics, subprocess, sys, time

from PIL import Image, ImageChops, ImageFilter

LIMIT = 102_400            # facever: base64 characters
CAP = LIMIT // 4 * 3       # raw JPEG bytes whose base64 fits


def photo(width, height, seed):
    """A photo-like 12 MP image: smooth colour fields, edges, fine texture and sensor noise."""
    import random
    rnd = random.Random(seed)
    # Large smooth structure: tiny random images blown up (bicubic), one per channel.
    chans = []
    for c in range(3):
        small = Image.new("L", (8, 6))
        small.putdata([rnd.randrange(40, 220) for _ in range(48)])
        chans.append(small.resize((width, height), Image.BICUBIC))
    base = Image.merge("RGB", chans)
    # Mid-scale detail (hair, fabric): blurred noise, mild.
    detail = Image.effect_noise((width // 4, height // 4), 40).filter(ImageFilter.GaussianBlur(1.5))
    detail = detail.resize((width, height), Image.BICUBIC).convert("RGB")
    base = ImageChops.add(base, ImageChops.subtract(detail, Image.new("RGB", (width, height), (128,) * 3)), 1.0, 0)
    # Hard edges: a few rectangles (a collar, a background door).
    for i in range(6):
        x0, y0 = rnd.randrange(width), rnd.randrange(height)
        box = (x0, y0, min(width, x0 + rnd.randrange(200, 1500)), min(height, y0 + rnd.randrange(200, 1500)))
        region = base.crop(box)
        base.paste(ImageChops.multiply(region, Image.new("RGB", region.size, (200, 180, 160))), box)
    # Sensor noise.
    noise = Image.effect_noise((width, height), 6).convert("RGB")
    base = ImageChops.add(base, noise, 1.0, -128)
    return base


def make_photos(work):
    os.makedirs(work, exist_ok=True)
    out = {}
    img = photo(4000, 3000, 1)
    p = os.path.join(work, "baseline.jpg")
    img.save(p, quality=92, subsampling=2)
    out["baseline"] = p
    p = os.path.join(work, "progressive.jpg")
    img.save(p, quality=92, subsampling=2, progressive=True)
    out["progressive"] = p
    # A portrait held sideways: stored 4000×3000, EXIF orientation 6 (rotate 90° clockwise).
    exif = Image.Exif()
    exif[0x0112] = 6
    p = os.path.join(work, "exif-rotated.jpg")
    photo(4000, 3000, 2).save(p, quality=92, subsampling=2, exif=exif.tobytes())
    out["exif-rotated"] = p
    # Lossless inputs (a screenshot or scan): decoded in full by every tool.
    p = os.path.join(work, "photo.png")
    img.save(p, compress_level=1)
    out["png"] = p
    p = os.path.join(work, "photo.bmp")
    img.save(p)
    out["bmp"] = p
    return out


PILLOW_FIT = r'''
import io, math, sys
from PIL import Image, ImageOps
src, dst, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
im = Image.open(io.BytesIO(data))
w, h = im.size
long = max(w, h)
# The same first guess as idcheck: decode at 1/8..1 no smaller than this long side.
want = max(400, int(long * math.sqrt(cap / max(1, len(data) / 4)) * 1.5))
im.draft("RGB", (math.ceil(w * want / long), math.ceil(h * want / long)))
im = ImageOps.exif_transpose(im).convert("RGB")
def enc(img, q):
    b = io.BytesIO(); img.save(b, "JPEG", quality=q, subsampling=2); return b.getvalue()
W, H = im.size
L = max(W, H)
def at(side):
    if side >= L: return im
    s = side / L
    return im.resize((max(1, round(W * s)), max(1, round(H * s))), Image.BICUBIC)
best = None
j = enc(im, 70)
if len(j) <= cap:
    best = im
else:
    lo, hi = 100, L  # lo fits (assumed), hi does not
    while hi - lo > max(1, lo // 64):
        mid = (lo + hi) // 2
        img = at(mid)
        if len(enc(img, 70)) <= cap: lo, best = mid, img
        else: hi = mid
    if best is None: best = at(lo)
fits, over = 70, 91
out = enc(best, 70)
while over - fits > 1:
    q = (fits + over) // 2
    j = enc(best, q)
    if len(j) <= cap: fits, out = q, j
    else: over = q
open(dst, "wb").write(out)
print(best.size[0], best.size[1], fits)
'''


def run(cmd, cpu):
    """Wall seconds, peak RSS (KiB) and stdout of one pinned run."""
    t = time.perf_counter()
    p = subprocess.run(["taskset", "-c", str(cpu), "/usr/bin/time", "-v"] + cmd,
                       capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return elapsed, rss, p.stdout


def dims(path):
    with Image.open(path) as im:
        return im.size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("idcheck", nargs="+")
    a = ap.parse_args()
    photos = make_photos(a.work)
    pillow_script = os.path.join(a.work, "pillow_fit.py")
    open(pillow_script, "w").write(PILLOW_FIT)
    print(f"runs {a.runs}, pinned to CPU {a.cpu}, limit {LIMIT} base64 chars; medians of wall time per process")
    print(f"{'photo':<13} {'tool':<22} {'median ms':>9} {'min ms':>7} {'size':>10} {'pixels':>9} {'bytes':>7} {'peak RSS MiB':>12}")
    for name, path in photos.items():
        tools = []
        for i, binary in enumerate(a.idcheck):
            label = "idcheck" if len(a.idcheck) == 1 else f"idcheck[{i}] {os.path.basename(binary)}"
            out = os.path.join(a.work, f"{name}.idcheck{i}.jpg")
            tools.append((label, lambda out=out, binary=binary: [binary, "photo", "--fit", out, path], out))
        pil_out = os.path.join(a.work, f"{name}.pillow.jpg")
        tools.append(("pillow", lambda: [sys.executable, pillow_script, path, pil_out, str(CAP)], pil_out))
        vips_out = os.path.join(a.work, f"{name}.vips.jpg")
        # vipsthumbnail at the size the first idcheck found (it cannot search by bytes).
        def vips():
            w, h = dims(os.path.join(a.work, f"{name}.idcheck0.jpg"))
            return ["vipsthumbnail", path, "-s", f"{w}x{h}", "-o", vips_out + "[Q=70,strip]"]
        tools.append(("vipsthumbnail", vips, vips_out))
        for label, cmd, out in tools:
            times, rss = [], []
            for _ in range(a.runs):
                t, r, _ = run(cmd(), a.cpu)
                times.append(t); rss.append(r)
            w, h = dims(out)
            size = os.path.getsize(out)
            print(f"{name:<13} {label:<22} {statistics.median(times)*1000:9.0f} {min(times)*1000:7.0f} {f'{w}x{h}':>10} {w*h:9d} {size:7d} {max(rss)/1024:12.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
