#!/usr/bin/env bash
# Installs libvirt + QEMU from Debian and starts virtlogd and libvirtd without systemd.
# Also installs what the controller tests run as real servers: git (git daemon, git http-backend)
# and openssh-server (the tests start their own sshd on a loopback port; the system one is not started),
# and busybox-static (its findfs is the volume probe a busybox guest uses on a cloud-init seed).
# Idempotent: safe to run on a machine where they are installed or already running.
# Verified recipe: ../shared/notes/libvirt-on-debian.md.
set -euo pipefail
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

pkgs="libvirt0 libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils ovmf iptables dnsmasq-base genisoimage git sasl2-bin libsasl2-modules gnutls-bin openssh-server busybox-static"
missing=""
for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "setup: installing$missing"
  $SUDO apt-get update -qq
  # Packages may not start their services here (openssh-server would start a system sshd on
  # port 22): libvirtd is started below, sshd only by the tests that need one.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

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
pgrep -x virtlogd >/dev/null || $SUDO virtlogd -d
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
  pgrep -x libvirtd >/dev/null || $SUDO libvirtd -d
  for _ in $(seq 100); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
fi
virsh -c qemu:///system version >/dev/null 2>&1 || { echo "setup: libvirtd did not answer on qemu:///system" >&2; exit 1; }
echo "setup: libvirtd answers on qemu:///system"
