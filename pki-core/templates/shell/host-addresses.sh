# This machine's addresses, one a line, of the network namespace this runs in: IPv4 from the
# kernel's local table (/proc/net/fib_trie, "/32 host LOCAL"), IPv6 from /proc/net/if_inet6
# (written as `ip` writes them), both read whole from a file; then what `ip` and `hostname -I`
# add. Each source that fails or is missing adds nothing instead of ending the script under
# `set -e`: `hostname` is not installed everywhere, and a netlink dump (which both commands
# make) fails with "Dump was interrupted" when an address or interface changes meanwhile.
have=$( { awk '/\/32 host LOCAL/ { print prev } { prev = $2 }' /proc/net/fib_trie 2>/dev/null || true
  awk '{ for (i = 0; i < 8; i++) { g = substr($1, 4 * i + 1, 4); sub(/^0+/, "", g); a[i] = (g == "" ? "0" : g) }
    b = -1; l = 1; for (i = 0; i < 8; i++) { j = i; while (j < 8 && a[j] == "0") j++; if (j - i > l) { b = i; l = j - i } }
    s = ""; for (i = 0; i < 8; i++) { if (i == b) { s = s "::"; i += l - 1 } else s = s (s == "" || s ~ /:$/ ? "" : ":") a[i] }
    print s }' /proc/net/if_inet6 2>/dev/null || true
  ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1 || true
  hostname -I 2>/dev/null | tr ' ' '\n' || true; } | sed '/^$/d' | sort -u)
# on_this_machine IP: whether IP is one of them (a shell pattern, no pipe into grep -q); every
# address of 127.0.0.0/8 is (Linux routes the whole block to lo, listed or not).
on_this_machine() { case "$1" in 127.*) return 0 ;; esac; case $'\n'"$have"$'\n' in *$'\n'"$1"$'\n'*) return 0 ;; esac; return 1; }
