#!/usr/bin/env python3
"""The site packaging's own test: scripts/package-site.py run on a small Trunk output
(testdata/trunk: a stand-in glue, two tiny "wasm" files, a stylesheet) must write exactly the
files of testdata/expected, byte for byte: the hosted index.html with its CSP and SRI, sw.js,
_headers, the hashed assets/ and the one-file etcd-pki.html with its SHA-256. No wasm build:
well under a second. The expectation was written by the f-string version of the script before
its JS and HTML moved into the templates beside this file, so it also holds the templates to
what the script wrote before.

A change to a template or to the packaging changes the expectation on purpose: look at the
difference, then write the new one with
    UPDATE_EXPECTED=1 python3 scripts/site/test_package_site.py
and commit it with the change.

Also: every JS template parses (node --check), so an editor's or a linter's view of the
templates is the JS that ships. Run by scripts/test.sh; only the standard library and node.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent / "package-site.py"
TRUNK = HERE / "testdata" / "trunk"
EXPECTED = HERE / "testdata" / "expected"
VERSION = "0.1.0+fixture"


def files(root: Path) -> dict:
    """Every file under root: relative path -> bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class PackageSite(unittest.TestCase):
    def test_output_is_the_checked_in_expectation(self):
        with tempfile.TemporaryDirectory(prefix="package-site-") as tmp:
            dist = Path(tmp) / "dist"
            shutil.copytree(TRUNK, dist)
            run = subprocess.run([sys.executable, str(SCRIPT), str(dist), VERSION],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, f"package-site.py failed:\n{run.stdout}{run.stderr}")
            got = files(dist)
            if os.environ.get("UPDATE_EXPECTED"):
                shutil.rmtree(EXPECTED, ignore_errors=True)
                shutil.copytree(dist, EXPECTED)
                self.skipTest(f"wrote {EXPECTED}: review it and commit it")
        want = files(EXPECTED)
        self.assertEqual(sorted(got), sorted(want),
                         "package-site.py wrote other files than testdata/expected holds")
        for name in want:
            if got[name] != want[name]:
                self.fail(f"{name} differs from testdata/expected/{name}; if the change is meant, "
                          "UPDATE_EXPECTED=1 python3 scripts/site/test_package_site.py rewrites "
                          f"the expectation.\n--- expected\n{want[name][:2000]!r}\n--- written\n"
                          f"{got[name][:2000]!r}")

    def test_every_js_template_parses(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is missing: ./scripts/setup.sh installs it (npm tools)")
        # Classic scripts, ES modules (import, top-level await), and one-line expressions
        # whose placeholders are declared first.
        for name, args, prefix in (
            ("check.js", ["--check", "-"], ""),
            ("sw.js", ["--check", "-"], ""),
            ("boot.js", ["--input-type=module", "--check"], ""),
            ("one-file-start.js", ["--input-type=module", "--check"], "const $b85_wasm = 0, $init_name = 0;\n"),
            ("gunzip.js", ["--check", "-"], "const f = "),
            ("b64-wasm.js", ["--check", "-"], "const $gunzip = 0;\nconst f = "),
            ("b85-wasm.js", ["--check", "-"], "const $gunzip = 0, $alphabet = 0;\nconst f = "),
        ):
            with self.subTest(template=name):
                source = prefix + (HERE / name).read_text(encoding="utf-8")
                r = subprocess.run([node, *args], input=source, capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, f"scripts/site/{name} is not valid JS:\n{r.stderr}")


if __name__ == "__main__":
    unittest.main()
