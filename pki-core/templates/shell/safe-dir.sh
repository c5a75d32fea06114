# safe_dir DIR [UID]: every existing folder from / down to DIR is a real folder (no symbolic
# link), owned by root (DIR itself may be owned by UID) and not writable by anyone else.
safe_dir() {
  local dir=$1 also=${2:-} cur="" part owner perm gid
  local -a parts
  IFS=/ read -ra parts <<< "${dir#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    cur="$cur/$part"
    if [ -L "$cur" ]; then refuse "$cur is a symbolic link (to $(readlink "$cur")); etcd-pki does not follow links on the way to ${dir#"$root"}: replace it with a folder"; fi
    [ -e "$cur" ] || return 0
    [ -d "$cur" ] || refuse "$cur is not a folder"
    read -r owner gid perm <<< "$(stat -c '%u %g %a' "$cur")"
    if [ "$owner" != 0 ] && { [ "$cur" != "$dir" ] || [ -z "$also" ] || [ "$owner" != "$also" ]; }; then
      refuse "$cur is owned by $(stat -c %U "$cur"), not root: whoever owns it could swap what etcd-pki writes; chown root $cur or choose another path"
    fi
    perm=$((8#$perm))
    if (( perm & 8#0002 )) && ! (( perm & 8#1000 )); then refuse "$cur is writable by anyone"; fi
    if (( perm & 8#0020 )) && [ "$gid" != 0 ] && [ "$cur" != "$dir" ]; then refuse "$cur is writable by group $(stat -c %G "$cur")"; fi
  done
}
