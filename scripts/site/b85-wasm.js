(e) => { const A = $alphabet; const v = new Uint8Array(128);
  for (let i = 0; i < 85; i++) v[A.charCodeAt(i)] = i;
  const s = e.textContent.trim(); const n = +e.dataset.length; const a = new Uint8Array(s.length / 5 * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) { let x = 0;
  for (let k = 0; k < 5; k++) x = x * 85 + v[s.charCodeAt(i + k)];
  a[o] = x >>> 24; a[o + 1] = (x >>> 16) & 255; a[o + 2] = (x >>> 8) & 255; a[o + 3] = x & 255; }
  return ($gunzip)(a.subarray(0, n)); }
