(function () {
  var missing = [];
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.instantiate !== 'function') missing.push('WebAssembly');
  if (typeof Worker !== 'function') missing.push('Web Workers');
  if (!(window.crypto && typeof window.crypto.getRandomValues === 'function')) missing.push('crypto.getRandomValues');
  if (typeof DecompressionStream !== 'function') missing.push('DecompressionStream');
  if (!missing.length) return;
  window.__etcdPkiMissing = missing;
  var names = missing.length === 1 ? missing[0]
    : missing.slice(0, -1).join(', ') + ' and ' + missing[missing.length - 1];
  function show() {
    var box = document.createElement('div');
    box.id = 'unsupported';
    box.setAttribute('role', 'alert');
    var h = document.createElement('h1');
    h.textContent = 'etcd-pki cannot run in this browser';
    var p = document.createElement('p');
    p.textContent = 'This browser has no ' + names + ' (missing: ' + missing.join(', ') + '). ' +
      'etcd-pki makes its keys with WebAssembly (shipped compressed, unpacked with DecompressionStream), on Web Workers, from crypto.getRandomValues, and needs all of them. ' +
      'Open this page in a current Firefox, Chromium, Chrome, Edge or Safari with WebAssembly allowed ' +
      '(some hardened setups turn it off), or use the etcd-pki command line. Nothing was generated or sent.';
    box.appendChild(h);
    box.appendChild(p);
    document.body.appendChild(box);
  }
  if (document.body) show(); else document.addEventListener('DOMContentLoaded', show);
})();
