// A stand-in for wasm-bindgen's glue (web target): what package-site.py reads from it is the
// init function's name in the default export; the rest is carried as it is.
let wasm;

function label(name) {
    return `etcd-pki ${name}`;
}

async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    const { instance } = await WebAssembly.instantiate(module_or_path.module_or_path);
    wasm = instance.exports;
    return wasm;
}

export { label, __wbg_init as default };
