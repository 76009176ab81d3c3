#!/usr/bin/env bash
# Quickstart: installs what is missing (libvirt's shared library; the .NET SDK must be present),
# builds `reconcile`, and runs plan → apply → plan on examples/quickstart against the embedded
# sandbox node (libvirt's test driver; no daemon to set up). Pass another spec directory to use it.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
SPECS=${1:-examples/quickstart}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

if ! ldconfig -p 2>/dev/null | grep -q 'libvirt.so.0'; then
  echo "quickstart: installing libvirt0 (the libvirt library; no daemon is needed for the sandbox)"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libvirt0 >/dev/null
fi
command -v dotnet >/dev/null || { echo "quickstart: the .NET 10 SDK is required (https://dot.net)"; exit 1; }

echo "quickstart: building reconcile…"
dotnet build src/Reconciler.Cli -c Release -o .reconcile-bin -v quiet -nologo >/dev/null
R=./.reconcile-bin/reconcile

set -x
"$R" validate "$SPECS"
"$R" plan "$SPECS"
"$R" apply "$SPECS" --auto-approve
"$R" plan "$SPECS" --detailed-exitcode
