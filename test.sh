#!/usr/bin/env bash
# Runs the whole test suite: unit tests on libvirt's in-process test driver, rendering checks
# with libvirt's own schema, and end-to-end tests on a real libvirtd + QEMU.
# Installs and starts what the tests need first (the Debian packages of .ci/tools.tsv, virtlogd,
# libvirtd); the setup also checks that every program of that list is on PATH and, when one is
# not, stops here, before building, with one line naming the program and its package.
# Ends with one line: "N passed, N failed[, N skipped]", counted from the test results.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")"

bash .ci/setup-libvirt.sh || { echo "test.sh: stopped before building: .ci/setup-libvirt.sh failed (see above)"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet build Reconciler.sln -c Release -nologo -v quiet || { echo "test.sh: the build failed"; echo "0 passed, 1 failed"; exit 1; }
# One test project at a time: the end-to-end projects share the one real libvirtd, and the
# controller's tests restart it on purpose, which must not pull it from under another project.
rc=0
for project in tests/*.Tests/*.Tests.csproj; do
  echo "=== $(basename "$project" .csproj)"
  dotnet test "$project" -c Release --no-build --logger "trx" --results-directory "$results" "$@" || rc=1
done

# Sum the counters of every TRX file (one per test project).
read -r passed failed skipped total < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = t = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    t += int(c.get("total", 0)); s += int(c.get("notExecuted", 0))
print(p, f, s, t)
PY
)
if [ "${total:-0}" -eq 0 ]; then
  echo "test.sh: no test results were produced (build failure?)"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ "$rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi   # a crash without a failed test still fails
if [ "${skipped:-0}" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
