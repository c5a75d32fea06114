(b) => { const s = atob(b); const a = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return ($gunzip)(a); }
