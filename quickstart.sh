#!/usr/bin/env bash
# Quickstart: installs what is missing (libvirt's shared library; the .NET SDK must be present),
# builds `reconcile`, and runs plan → apply → plan on examples/quickstart against the embedded
# sandbox node (libvirt's test driver; no daemon to set up). Pass another spec directory to use it.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
SPECS=${1:-examples/quickstart}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! bash .ci/preflight.sh quickstart libvirt.so.0 >/dev/null; then
  echo "quickstart: installing libvirt0 (the libvirt library; no daemon is needed for the sandbox)"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvirt0 >/dev/null; } || true
fi
# All the quickstart needs (rows of .ci/tools.tsv): one line for each that is missing, and how to get it.
PREFLIGHT_HINT="" bash .ci/preflight.sh quickstart dotnet libvirt.so.0 || exit 1

echo "quickstart: building reconcile…"
dotnet build src/Reconciler.Cli -c Release -o .reconcile-bin -v quiet -nologo >/dev/null
R=./.reconcile-bin/reconcile

set -x
"$R" validate "$SPECS"
"$R" plan "$SPECS"
"$R" apply "$SPECS" --auto-approve
"$R" plan "$SPECS" --detailed-exitcode
