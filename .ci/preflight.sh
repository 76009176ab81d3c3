#!/usr/bin/env bash
# preflight.sh WHO [NAME...]: checks that the programs of .ci/tools.tsv (all of them, or only the
# NAMEs) can be found: a program by looking it up on PATH, an absolute path by its file, a shared
# library (lib*.so.N) with ldconfig. Prints one line per missing one,
#   WHO: missing program xmllint (Debian package libxml2-utils); run .ci/setup-libvirt.sh
# and exits 1 when any is missing, 0 otherwise. Nothing is installed here.
# PREFLIGHT_TOOLS overrides the list file (the tests use it); PREFLIGHT_HINT the text after ";".
set -uo pipefail
who=${1:?usage: preflight.sh WHO [NAME...]}; shift
here=${BASH_SOURCE[0]%/*}; [ "$here" != "${BASH_SOURCE[0]}" ] || here=.
tools=${PREFLIGHT_TOOLS:-$here/tools.tsv}
hint=${PREFLIGHT_HINT-run .ci/setup-libvirt.sh}
[ -r "$tools" ] || { echo "$who: cannot read the tool list $tools"; exit 1; }

wanted() { [ $# -eq 0 ] && return 0; local n; for n in "$@"; do [ "$n" = "$prog" ] && return 0; done; return 1; }
libraries=""
missing=0
while IFS=$'\t' read -r prog pkg _; do
  case "$prog" in ''|'#'*|-) continue ;; esac
  wanted "$@" || continue
  case "$prog" in
    lib*.so*)
      # ldconfig lives in /sbin, which a user's PATH may lack.
      [ -n "$libraries" ] || libraries=$("$(type -P ldconfig || echo /sbin/ldconfig)" -p 2>/dev/null)
      [[ $libraries == *"$prog ("* ]] && continue
      what="library" ;;
    *)
      # A PATH lookup like `command -v`, except that a shell builtin (kill, time) does not count:
      # the tests start the program, not the shell's builtin.
      type -P "$prog" >/dev/null && continue
      what="program" ;;
  esac
  case "$pkg" in
    *://*) from="not a Debian package: install it from $pkg" ;;
    *) from="Debian package $pkg" ;;
  esac
  echo "$who: missing $what $prog ($from)${hint:+; $hint}"
  missing=1
done <"$tools"
exit "$missing"
