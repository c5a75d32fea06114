let wasm_bindgen;
(function() {
    const __exports = {};
    async function __wbg_init(module_or_path) {
        const { instance } = await WebAssembly.instantiate(module_or_path.module_or_path);
        return instance.exports;
    }
    wasm_bindgen = Object.assign(__wbg_init, { initSync: null }, __exports);
})();
