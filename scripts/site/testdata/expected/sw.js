// etcd-pki's service worker: keeps the page's own files so it works offline after the first
// visit. Network first (a reload picks up a new version), the cache when offline. It never
// sees a key: keys exist only in the page's memory.
const CACHE = 'etcd-pki-0.1.0+fixture-28b27b45ee2f925f';
const ASSETS = ["./", "index.html", "assets/style.6cf5691e2097db11.css", "assets/app.038bc7ff4b2fe274.js", "assets/app_bg.wasm.ebd71315261d7655.js", "assets/keygen-worker.src.ed8243f3a2c62f74.js", "assets/check.c2724c2bf7dffd74.js", "assets/boot.34ebec9b8d6e8c9b.js"];
self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((ks) => Promise.all(ks.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== self.location.origin) return;
  e.respondWith(fetch(e.request).then((r) => {
    if (r.ok) { const copy = r.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); }
    return r;
  }).catch(() => caches.match(e.request, { ignoreSearch: true })));
});
