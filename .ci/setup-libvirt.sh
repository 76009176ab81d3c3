#!/usr/bin/env bash
# Installs what the tests, the product and the scripts here run, then starts virtlogd and libvirtd
# without systemd. The packages are those of .ci/tools.tsv (one line per program: libvirt and
# QEMU, libxml2-utils for the xmllint that virt-xml-validate runs, genisoimage and util-linux for
# the seed tests, git and openssh-server for the controller tests, which start their own git
# servers and their own sshd on a loopback port; the system sshd is not started; swtpm and
# swtpm-tools for domains with a vTPM, installed before libvirtd starts so that it offers the
# TPM emulator backend).
# Then checks, with .ci/preflight.sh, that every program of that list is found on PATH, and stops
# with one line naming each one that is not (and its package) before anything is built.
# --packages-only: install and check, start no daemon.
# Idempotent: safe to run on a machine where they are installed or already running.
# Verified recipe: ../shared/notes/libvirt-on-debian.md.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

pkgs=()
while IFS=$'\t' read -r prog pkg _; do
  case "$prog" in ''|'#'*) continue ;; esac
  case "$pkg" in *://*) continue ;; esac   # not from Debian (the .NET SDK): the preflight names it
  pkgs+=("$pkg")
done <"$here/tools.tsv"
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null || true)
missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
  grep -qx "$p install ok installed" <<<"$installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then echo "setup: run as root, or install sudo, to install ${missing[*]}" >&2; exit 1; fi
  $SUDO apt-get update -qq
  # Packages may not start their services here (openssh-server would start a system sshd on
  # port 22): libvirtd is started below, sshd only by the tests that need one.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Installed is not enough (a PATH without /usr/sbin, a package whose files were removed): look
# every program up the way the tests will.
PREFLIGHT_HINT="not found on PATH" bash "$here/preflight.sh" setup-libvirt.sh || exit 1

if [ "${1:-}" = "--packages-only" ]; then exit 0; fi

$SUDO mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt
getent group kvm >/dev/null || $SUDO groupadd -r kvm
getent group libvirt-qemu >/dev/null || $SUDO groupadd -r libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || $SUDO useradd -r -g libvirt-qemu -G kvm libvirt-qemu
if ! grep -q '^security_driver = "none"' /etc/libvirt/qemu.conf 2>/dev/null; then
  $SUDO tee /etc/libvirt/qemu.conf >/dev/null <<'CONF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
CONF
fi
# The system daemons by their pid files: tests start private libvirtd/virtlogd processes of their
# own (with -p elsewhere), which a match on the process name would mistake for these.
alive() { [ -s "$1" ] && $SUDO kill -0 "$($SUDO cat "$1")" 2>/dev/null; }
alive /run/virtlogd.pid || $SUDO virtlogd -d
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  alive /run/libvirtd.pid || $SUDO libvirtd -d
  for _ in $(seq 100); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
fi
virsh -c qemu:///system version >/dev/null 2>&1 || { echo "setup: libvirtd did not answer on qemu:///system" >&2; exit 1; }
echo "setup: libvirtd answers on qemu:///system"
