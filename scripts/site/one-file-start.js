// etcd-pki one-file start: both wasm modules are in this page; the key worker runs from a blob.
// The inline check before this module said what is missing, if anything: then nothing starts.
if (!globalThis.__etcdPkiMissing) {
  const __epkiB85 = $b85_wasm;
  const __epkiWasm = (id) => __epkiB85(document.getElementById(id));
  window.__etcdPkiWorkerUrl = URL.createObjectURL(new Blob([await __epkiWasm('etcd-pki-worker')], { type: 'text/javascript' }));
  window.__etcdPkiWorkerModule = __epkiWasm('etcd-pki-worker-wasm').then((b) => WebAssembly.compile(b));
  await $init_name({ module_or_path: await __epkiWasm('etcd-pki-wasm') });
}
