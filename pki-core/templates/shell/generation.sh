# marker_field FILE KEY: the value of KEY='...' in a bundle.env (values are quoted, no quote
# inside).
marker_field() { sed -n "s/^$2='\([^']*\)'\$/\1/p" "$1" | head -n1; }
# check_generation WHO BUNDLE_MARKER INSTALLED_MARKER FORCE: refuses (exit 3) when this machine
# holds a later generation of the same line of bundles than the one this script comes from,
# naming both; with FORCE it says so and goes on. Another line (another cluster) is not compared.
check_generation() {
  local who=$1 mine=$2 theirs=$3 force=${4:-} new_line old_line new_gen old_gen new_id old_id
  [ -f "$mine" ] && [ -f "$theirs" ] || return 0
  new_line=$(marker_field "$mine" LINE)
  old_line=$(marker_field "$theirs" LINE)
  [ -n "$new_line" ] && [ "$new_line" = "$old_line" ] || return 0
  new_gen=$(marker_field "$mine" GENERATION)
  old_gen=$(marker_field "$theirs" GENERATION)
  case "$new_gen$old_gen" in ''|*[!0-9]*) return 0 ;; esac
  [ "$old_gen" -gt "$new_gen" ] || return 0
  new_id=$(marker_field "$mine" BUNDLE)
  old_id=$(marker_field "$theirs" BUNDLE)
  if [ -z "$force" ]; then
    echo "$who: REFUSED: this machine holds generation $old_gen of this cluster's bundles (bundle $old_id), later than this bundle's generation $new_gen (bundle $new_id): use the newest bundle, or add --force to go back" >&2
    exit 3
  fi
  echo "$who: --force: going back from generation $old_gen (bundle $old_id) to generation $new_gen (bundle $new_id)"
}
