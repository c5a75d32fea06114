#!/usr/bin/env python3
"""Turns Trunk's dist/ into the two builds etcd-pki ships.

1. The hosted site (dist/ itself): a Content-Security-Policy that forbids every network
   connection (connect-src 'none'), so the main wasm is loaded from a script
   (app_bg.wasm.js: the wasm gzipped, then base64) rather than fetched; the key worker's
   source (its JS and wasm) comes the same way (keygen-worker.src.js) and the worker is started from a blob: URL,
   so it inherits the page's CSP (a worker loaded from a URL gets only its response's
   headers, and a static server sends none); subresource integrity on every script and the
   stylesheet; a service worker (sw.js) that keeps the page's own files for offline use and
   picks up a new version on reload. Scripts and the stylesheet go to assets/ under names
   that carry a hash of their content (cached for a year: a new build has new names), while
   index.html, sw.js and etcd-pki.html keep their names and are revalidated on every load;
   dist/_headers gives static hosts those cache rules and the page's CSP as a header
   (deploy/nginx/etcd-pki.conf says the same for nginx). A small classic script (check.js)
   runs before anything else and, in a browser without WebAssembly, Web Workers,
   crypto.getRandomValues or DecompressionStream, says which is missing instead of leaving
   the page blank.
2. dist/etcd-pki.html: one self-contained file (CSS, JS, both wasm modules inlined gzipped,
   unpacked by the browser's own DecompressionStream, so no request is made; the key
   worker started from a blob: URL; the same check inline, allowed by its hash) that works
   opened from disk with networking off. Its
   SHA-256 is printed and written beside it, for users who carry it to an air-gapped machine.

Every output is a function of Trunk's output and the version string alone (gzip without a
time stamp, no dict or set order, no dates): two builds of one commit give the same bytes
(docs/REPRODUCIBLE.md; scripts/check-reproducible.sh rebuilds in another folder and compares).

The JS and HTML it writes are files in scripts/site/ (string.Template: `$name` is filled in,
and a placeholder is a valid JS identifier, so each .js template still parses as JS); this
script computes the names, hashes and encodings that go into them.
scripts/site/test_package_site.py packages a small Trunk output and compares every file with
the expectation checked in beside it.

Only the Python standard library; run by scripts/build-site.sh after `trunk build`.
"""
import base64
import gzip
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from string import Template

dist = Path(sys.argv[1] if len(sys.argv) > 1 else "dist")
version = sys.argv[2] if len(sys.argv) > 2 else "dev"
SITE = Path(__file__).resolve().parent / "site"


def template(name: str, **values) -> str:
    """scripts/site/<name> with every `$placeholder` filled in (a missing value is an error)."""
    return Template((SITE / name).read_text(encoding="utf-8")).substitute(values)


def expression(name: str, **values) -> str:
    """A JS expression from scripts/site/<name>, written over several lines there and put in
    the output on one line: each line's indentation dropped, the lines joined by a space."""
    text = " ".join(line.strip() for line in (SITE / name).read_text(encoding="utf-8").splitlines())
    return Template(text).substitute(values)


def read(name: str) -> bytes:
    return (dist / name).read_bytes()


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


css = read("style.css")
app_js = read("app.js").decode()
app_wasm = read("app_bg.wasm")
worker_js = read("keygen-worker.js").decode()
worker_wasm = read("keygen-worker_bg.wasm")
# The favicon, inlined as a data: URL (img-src allows data:): no request, nothing to 404.
favicon = (Path(__file__).resolve().parent.parent / "public" / "favicon.svg").read_bytes()
icon_link = f'<link rel="icon" type="image/svg+xml" href="data:image/svg+xml;base64,{base64.b64encode(favicon).decode()}">'


def packed(data: bytes) -> bytes:
    """gzip with no time stamp or name in the header (the same bytes every build), which the
    page unpacks with the browser's own DecompressionStream('gzip'). Made by zopfli (Debian's
    `zopfli`, scripts/setup.sh installs it), whose deflate search finds about 4.5% less than
    zlib's gzip -9 on this wasm (the page's 404 KB to 386 KB, the key worker's 751 KB to 719 KB:
    62 KB less in the one-file page) and is still a plain gzip stream; 5 iterations (the
    default 15 found 40 bytes more at three times the time). The wasm is about 40% of its size
    gzipped; in base64 (4/3) that is still half the raw wasm, where the raw wasm in base64 was
    4/3 of it."""
    with tempfile.TemporaryDirectory(prefix="package-site-") as tmp:
        raw = Path(tmp) / "data"
        raw.write_bytes(data)
        try:
            run = subprocess.run(["zopfli", "--gzip", "--i5", "-c", str(raw)], capture_output=True)
        except FileNotFoundError:
            sys.exit("package-site: zopfli is not installed; ./scripts/setup.sh installs it "
                     "(Debian package zopfli)")
    if run.returncode != 0 or run.stdout[:2] != b"\x1f\x8b":
        sys.exit(f"package-site: zopfli failed: {run.stderr.decode(errors='replace')}")
    assert gzip.decompress(run.stdout) == data
    return run.stdout


app_wasm_gz = packed(app_wasm)
worker_wasm_gz = packed(worker_wasm)
for name, data, gz in (("app_bg.wasm", app_wasm, app_wasm_gz),
                       ("keygen-worker_bg.wasm", worker_wasm, worker_wasm_gz)):
    print(f"package-site: {name} {len(data):,} bytes, gzipped (zopfli) {len(gz):,} bytes")

# wasm-bindgen's web target ends by exporting its init function as the default export.
m = re.search(r"export\s*\{[^}]*\b(\w+)\s+as\s+default\b[^}]*\}", app_js)
if not m:
    sys.exit("package-site: cannot find the init function in app.js (wasm-bindgen changed?)")
init_name = m.group(1)

# The key worker's source: wasm-bindgen's no-modules JS, then its start. Its wasm is not in it:
# the page compiles that once, while it loads (window.__etcdPkiWorkerModule, a promise of a
# WebAssembly.Module), and sends the compiled module to every worker it starts (app/src/workers/pool.rs).
# One compilation instead of one per worker, done before the first click, and the workers
# share the module's code (a worker under connect-src 'none' could not fetch it anyway).
worker_src = (worker_js + "\nself.onmessage = (e) => { self.onmessage = null; "
              "wasm_bindgen({ module_or_path: e.data }); };\n")
worker_wasm_b64 = base64.b64encode(worker_wasm_gz).decode()
app_wasm_b64 = base64.b64encode(app_wasm_gz).decode()
# Base64 of gzipped wasm to the wasm's bytes (a promise of an ArrayBuffer), in the page: atob
# to bytes (faster than Uint8Array.from with a callback per byte), then the browser's own
# gunzip. A Blob's stream and a Response made in the page are no network request: the CSP's
# connect-src 'none' does not apply, and the air-gapped test sees no request.
GUNZIP = expression("gunzip.js")
B64_WASM = expression("b64-wasm.js", gunzip=GUNZIP)

# The one-file page carries its wasm in base 85 (5 characters for 4 bytes) rather than base 64
# (4 for 3): 6% less on disk, which is what keeps the page under 1.5 MB (issue #26). The
# alphabet is Python's b85 one moved onto printable ASCII without " ' ` \ < > & / !, so the
# text is safe inside a <script> data block and a JS string (no "</script", no escapes). Over
# the wire (the hosted build, gzipped by the server) the two encodings weigh the same, so the
# hosted scripts keep base 64 and the browser's native atob.
B85_PYTHON = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
B85_PAGE = bytes(c for c in range(0x21, 0x7F) if chr(c) not in "\"'`\\<>&/!")
assert len(B85_PYTHON) == len(B85_PAGE) == 85
B85_MAP = bytes.maketrans(B85_PYTHON, B85_PAGE)


def b85(data: bytes) -> str:
    """`data` in the page's base 85, zero-padded to a multiple of 4 bytes (the decoder is told
    the real length)."""
    return base64.b85encode(data, pad=True).translate(B85_MAP).decode("ascii")


# Base 85 text (a <script> data block with data-length) to bytes, then gunzipped.
B85_WASM = expression("b85-wasm.js", alphabet=json.dumps(B85_PAGE.decode()), gunzip=GUNZIP)

# ---- The support check ---------------------------------------------------------------------
# A classic script, run before the page's module: a browser without one of these gets a
# message naming it instead of a blank page (the module then does not start). Only DOM calls
# and textContent: it runs under the page's CSP (no inline style, no eval).
check_js = (SITE / "check.js").read_text(encoding="utf-8")
assert "</script" not in check_js


def hashed(stem: str, ext: str, data: bytes) -> str:
    """assets/<stem>.<first 16 hex of SHA-256>.<ext>: a new content is a new name."""
    return f"assets/{stem}.{hashlib.sha256(data).hexdigest()[:16]}.{ext}"


# ---- 1. The hosted site --------------------------------------------------------------------
(dist / "assets").mkdir(exist_ok=True)
files = {}  # name in dist/ -> bytes
wasm_js = ("globalThis.__etcdPkiAppWasm = \"" + app_wasm_b64 + "\";\n").encode()
worker_src_js = ("globalThis.__etcdPkiWorkerSrc = " + json.dumps(worker_src) + ";\n"
                 + "globalThis.__etcdPkiWorkerWasm = \"" + worker_wasm_b64 + "\";\n").encode()
css_name = hashed("style", "css", css)
app_name = hashed("app", "js", app_js.encode())
wasm_name = hashed("app_bg.wasm", "js", wasm_js)
worker_name = hashed("keygen-worker.src", "js", worker_src_js)
check_name = hashed("check", "js", check_js.encode())
boot = template("boot.js", app_module=app_name.removeprefix("assets/"), b64_wasm=B64_WASM).encode()
boot_name = hashed("boot", "js", boot)
for name, data in ((css_name, css), (app_name, app_js.encode()), (wasm_name, wasm_js),
                   (worker_name, worker_src_js), (check_name, check_js.encode()), (boot_name, boot)):
    (dist / name).write_bytes(data)
# Trunk's files (now in assets/ under hashed names), its worker files and the bare wasm are
# not used by either build: gone, so nothing can start a worker outside the page's policy or
# load code the page does not check.
for unused in ("style.css", "app.js", "keygen-worker_loader.js", "keygen-worker.js",
               "keygen-worker_bg.wasm", "app_bg.wasm"):
    (dist / unused).unlink(missing_ok=True)

# What the page needs to work offline. Not etcd-pki.html: it is a file to download and carry,
# not part of the page, and keeping it here made every first visit download it as well (the
# whole page a second time, issue #26).
assets = ["./", "index.html", css_name, app_name, wasm_name, worker_name, check_name, boot_name]
digest = hashlib.sha256(css + app_js.encode() + app_wasm + worker_js.encode() + worker_wasm).hexdigest()[:16]
sw = template("sw.js", version=version, digest=digest, assets=json.dumps(assets))
(dist / "sw.js").write_text(sw)

# worker-src: blob: for the key worker, 'self' only for the service worker (sw.js); no
# other worker script is left in dist/.
hosted_csp = ("default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
              "style-src 'self'; img-src 'self' data: blob:; connect-src 'none'; font-src 'none'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'; manifest-src 'self'")
index = template(
    "index.html", csp=hosted_csp, version=version, icon_link=icon_link,
    css_name=css_name, css_sri=sri(css), check_name=check_name, check_sri=sri(check_js.encode()),
    app_name=app_name, app_sri=sri(app_js.encode()), wasm_name=wasm_name, wasm_sri=sri(wasm_js),
    worker_name=worker_name, worker_sri=sri(worker_src_js), boot_name=boot_name, boot_sri=sri(boot))
(dist / "index.html").write_text(index)

# Headers for static hosts that read a _headers file (Netlify, Cloudflare Pages), from the
# same policy string; deploy/nginx/etcd-pki.conf sends the same for nginx (the hosting test
# compares the two). The policy as a header also covers the key worker (a blob: worker
# inherits its page's policy) and adds frame-ancestors, which a <meta> tag cannot carry.
# The service worker gets a policy of its own: it must fetch the page's files.
page_headers = {
    "Content-Security-Policy": hosted_csp + "; frame-ancestors 'none'",
    "Cache-Control": "no-cache",
}
headers = {
    "/*": {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY"},
    "/": page_headers,
    "/index.html": page_headers,
    "/sw.js": {"Content-Security-Policy": "default-src 'none'; connect-src 'self'",
               "Cache-Control": "no-cache"},
    "/etcd-pki.html": {"Content-Security-Policy": "frame-ancestors 'none'", "Cache-Control": "no-cache"},
    "/etcd-pki.html.sha256": {"Cache-Control": "no-cache"},
    "/assets/*": {"Cache-Control": "public, max-age=31536000, immutable"},
}
(dist / "_headers").write_text(
    "# etcd-pki: response headers for static hosts that read _headers (Netlify, Cloudflare Pages).\n"
    "# Written by scripts/package-site.py; deploy/nginx/etcd-pki.conf is the same for nginx.\n"
    + "".join(f"{path}\n" + "".join(f"  {k}: {v}\n" for k, v in hs.items()) for path, hs in headers.items()))

# ---- 2. The one-file page ------------------------------------------------------------------
def unindented(js: str) -> str:
    """The JS with each line's leading spaces dropped: the same program (JS does not read
    indentation; line breaks stay, so no statement joins another), 20% smaller. Applied to
    the one-file page only, where every byte is carried; a line inside a multi-line template
    literal would lose its indentation too (wasm-bindgen's glue has none that prints)."""
    return "\n".join(line.lstrip(" ") for line in js.split("\n")
                     if line.strip() and not line.lstrip(" ").startswith("//"))


# The key worker's glue as a data block too, gzipped (a text/plain block was 17 KB).
worker_src_gz = packed(unindented(worker_src).encode())
# The page's start, after wasm-bindgen's glue (a line break between them).
module = (unindented(app_js) + "\n"
          + template("one-file-start.js", b85_wasm=B85_WASM, init_name=init_name))
def css_min(text: str) -> str:
    """The stylesheet without its comments and indentation (the one-file page only): the same
    rules, about 10% smaller. Its hash in the CSP is of this text."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip()) + "\n"


css_text = css_min(css.decode())
single_csp = (f"default-src 'none'; script-src {csp_hash(check_js)} {csp_hash(module)} 'wasm-unsafe-eval'; worker-src blob:; "
              f"style-src {csp_hash(css_text)}; img-src data: blob:; connect-src 'none'; font-src 'none'; "
              "object-src 'none'; base-uri 'none'; form-action 'none'")
# Data blocks are <script> elements of a non-script type: never executed, so the CSP need not
# allow them. Base64 and JS here cannot contain "</script".
assert "</script" not in module
single = template(
    "etcd-pki.html", csp=single_csp, version=version, icon_link=icon_link, css=css_text,
    app_wasm_length=len(app_wasm_gz), app_wasm=b85(app_wasm_gz),
    worker_length=len(worker_src_gz), worker=b85(worker_src_gz),
    worker_wasm_length=len(worker_wasm_gz), worker_wasm=b85(worker_wasm_gz),
    check_js=check_js, module=module)
out = dist / "etcd-pki.html"
out.write_text(single)
sha = hashlib.sha256(out.read_bytes()).hexdigest()
(dist / "etcd-pki.html.sha256").write_text(f"{sha}  etcd-pki.html\n")
print(f"package-site: hosted site in {dist}/ (CSP connect-src 'none', SRI, offline cache sw.js, "
      f"hashed assets/, _headers)")
print(f"package-site: one-file page {out} ({out.stat().st_size // 1024} KB)")
print(f"package-site: SHA-256 {sha}  etcd-pki.html")
