#!/usr/bin/env python3
"""Where a wasm module's bytes go, per crate: reads the module's own name section.

    python3 scripts/wasm-sizes.py target/wasm32-unknown-unknown/wasm-release/app.wasm [TOP]

Reads rustc's output before wasm-bindgen and wasm-opt (those two drop the function names), so
the figures are of unoptimised code: they say which crates weigh, not what ships (the
shipped, optimised sizes are in scripts/size-budget.json and docs/BENCHMARKS.md). Each
function body is counted for the crate its (demangled) name starts with; a trait method
implemented for another crate's type (`<serde_json::Value as serde::Serialize>::serialize`)
counts for the type's crate, since the type is why it is there. Data segments (string
constants, tables) have no names and are one line of their own.

Only the Python standard library: no twiggy or cargo-bloat to install (cargo-bloat does not
read wasm; twiggy reports per function, not per crate).
"""
import re
import sys
from collections import defaultdict
from pathlib import Path


def leb(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 at `pos`: (value, position after it)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def name_of(data: bytes, pos: int) -> tuple[str, int]:
    length, pos = leb(data, pos)
    return data[pos:pos + length].decode("utf-8", "replace"), pos + length


def sections(data: bytes):
    """(id, custom name or None, payload) for each section."""
    if data[:4] != b"\0asm":
        sys.exit("wasm-sizes: not a WebAssembly module (no \\0asm magic)")
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(data, pos + 1)
        payload = data[pos:pos + size]
        custom = None
        if sid == 0:
            custom, start = name_of(payload, 0)
            payload = payload[start:]
        yield sid, custom, payload
        pos += size


def imported_functions(payload: bytes) -> int:
    count, pos = leb(payload, 0)
    functions = 0
    for _ in range(count):
        _, pos = name_of(payload, pos)
        _, pos = name_of(payload, pos)
        kind = payload[pos]
        pos += 1
        if kind == 0:  # function: a type index
            _, pos = leb(payload, pos)
            functions += 1
        elif kind == 1:  # table: reftype, limits
            pos += 1
            flags, pos = leb(payload, pos + 0)
            _, pos = leb(payload, pos)
            if flags & 1:
                _, pos = leb(payload, pos)
        elif kind == 2:  # memory: limits
            flags, pos = leb(payload, pos)
            _, pos = leb(payload, pos)
            if flags & 1:
                _, pos = leb(payload, pos)
        elif kind == 3:  # global: valtype, mutability
            pos += 2
        else:  # tag
            pos += 1
            _, pos = leb(payload, pos)
    return functions


def body_sizes(payload: bytes) -> list[int]:
    count, pos = leb(payload, 0)
    sizes = []
    for _ in range(count):
        size, start = leb(payload, pos)
        sizes.append(size + (start - pos))
        pos = start + size
    return sizes


def function_names(payload: bytes) -> dict[int, str]:
    names = {}
    pos = 0
    while pos < len(payload):
        kind = payload[pos]
        size, pos = leb(payload, pos + 1)
        if kind == 1:
            count, p = leb(payload, pos)
            for _ in range(count):
                index, p = leb(payload, p)
                names[index], p = name_of(payload, p)
        pos += size
    return names


LEGACY_ESCAPES = {"$LT$": "<", "$GT$": ">", "$u20$": " ", "$RF$": "&", "$BP$": "*",
                  "$C$": ",", "$u7b$": "{", "$u7d$": "}", "$u5b$": "[", "$u5d$": "]",
                  "$u27$": "'", "$u3b$": ";", "$u22$": '"', "..": "::", "$SP$": "@"}


def demangle(symbol: str) -> str:
    """Rust's legacy mangling (`_ZN...17h<hash>E`) to a path; anything else as it is."""
    if not symbol.startswith("_ZN"):
        return symbol
    pos, parts = 3, []
    while pos < len(symbol) and symbol[pos].isdigit():
        digits = re.match(r"\d+", symbol[pos:]).group()
        pos += len(digits)
        part = symbol[pos:pos + int(digits)]
        pos += int(digits)
        if re.fullmatch(r"h[0-9a-f]{16}", part):
            continue
        for k, v in LEGACY_ESCAPES.items():
            part = part.replace(k, v)
        parts.append(part.lstrip("_") if part.startswith("_<") else part)
    return "::".join(parts)


def crate_of(name: str) -> str:
    """The crate a function is counted for: the first path segment, or for `<T as Trait>` the
    crate of T (or of the trait when T is a primitive or a reference to one). The standard
    library comes prebuilt with Rust's v0 mangling (`_RNv...C<hash>_4core...`): there the
    first crate root named in the symbol is taken."""
    if name.startswith("__wbindgen_describe"):
        return "(wasm-bindgen descriptors: run and removed by wasm-bindgen)"
    if name.startswith(("__wbg", "__wbindgen", "__externref")):
        return "wasm_bindgen"
    if name.startswith("_R"):
        m = re.search(r"C(?:s[0-9A-Za-z]*_)?(\d+)", name)
        if m:
            start = m.end()
            return name[start:start + int(m.group(1))].lstrip("_") or "(unnamed or C symbols)"
    name = name.lstrip("_")
    if name.startswith("<"):
        inner = name[1:]
        inner = re.sub(r"^(&|\*const |\*mut |mut |dyn |\[)+", "", inner)
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", inner)
        if m:
            return m.group(1)
        m = re.search(r" as ([A-Za-z_][A-Za-z0-9_]*)::", inner)
        return m.group(1) if m else "(primitive impls)"
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m:
        return m.group(1)
    return "(unnamed or C symbols)"


def report(path: Path) -> tuple[int, dict[str, int]]:
    data = path.read_bytes()
    imports, bodies, names, data_bytes = 0, [], {}, 0
    for sid, custom, payload in sections(data):
        if sid == 2:
            imports = imported_functions(payload)
        elif sid == 10:
            bodies = body_sizes(payload)
        elif sid == 11:
            data_bytes = len(payload)
        elif custom == "name":
            names = function_names(payload)
    if bodies and not names:
        sys.exit(f"wasm-sizes: {path} has no function names (a wasm-opt or wasm-bindgen output?); "
                 "give it rustc's own output under target/wasm32-unknown-unknown/<profile>/")
    by_crate = defaultdict(int)
    for i, size in enumerate(bodies):
        by_crate[crate_of(demangle(names.get(imports + i, "")))] += size
    by_crate["(data: strings, tables)"] = data_bytes
    return len(data), by_crate


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = Path(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    total, by_crate = report(path)
    counted = sum(by_crate.values())
    print(f"{path.name}: {total:,} bytes before wasm-bindgen and wasm-opt "
          f"({counted:,} in function bodies and data)\n")
    print("| crate | bytes | share |")
    print("| --- | ---: | ---: |")
    rows = sorted(by_crate.items(), key=lambda kv: -kv[1])
    for crate, size in rows[:top]:
        print(f"| {crate} | {size:,} | {100 * size / counted:.1f} % |")
    rest = rows[top:]
    if rest:
        print(f"| {len(rest)} more crates | {sum(s for _, s in rest):,} | "
              f"{100 * sum(s for _, s in rest) / counted:.1f} % |")


if __name__ == "__main__":
    main()
