// Starts etcd-pki: the wasm comes from app_bg.wasm.*.js and the key worker's source from
// keygen-worker.src.*.js (the page may not fetch anything). The worker runs from a blob: URL,
// so the page's Content-Security-Policy applies inside it too. check.*.js ran first: when it
// found something missing it said so, and nothing starts.
import init from './$app_module';
if (!globalThis.__etcdPkiMissing) {
  const wasm = $b64_wasm;
  const b64 = globalThis.__etcdPkiAppWasm;
  delete globalThis.__etcdPkiAppWasm;
  window.__etcdPkiWorkerUrl = URL.createObjectURL(new Blob([globalThis.__etcdPkiWorkerSrc], { type: 'text/javascript' }));
  delete globalThis.__etcdPkiWorkerSrc;
  window.__etcdPkiWorkerModule = wasm(globalThis.__etcdPkiWorkerWasm).then((b) => WebAssembly.compile(b));
  delete globalThis.__etcdPkiWorkerWasm;
  await init({ module_or_path: await wasm(b64) });
  if ('serviceWorker' in navigator && location.protocol.startsWith('http')) {
    navigator.serviceWorker.register('./sw.js').catch((e) => console.warn('offline cache unavailable:', e));
  }
}
