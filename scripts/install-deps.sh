#!/usr/bin/env bash
# Installs the Debian packages the platform and its tests need, only those missing.
set -euo pipefail

declare -A PKG_FOR=(
  [qemu-system-x86_64]=qemu-system-x86
  [qemu-img]=qemu-utils
  [musl-gcc]=musl-tools
  [mke2fs]=e2fsprogs
  [debootstrap]=debootstrap
  [cpio]=cpio
  [xz]=xz-utils
  [setsid]=util-linux
  [du]=coreutils
  [tmux]=tmux
  [nft]=nftables
  [ip]=iproute2
  [nsenter]=util-linux
  [sysctl]=procps
  [curl]=curl
  [clang]=clang
  [chromium]=chromium
  [chromedriver]=chromium-driver
)
# libraries, checked by package: libFuzzer for the guest agent's fuzz target (clang 14 is Debian 12's)
LIB_PKGS=(libclang-rt-14-dev)
missing=()
for cmd in "${!PKG_FOR[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PKG_FOR[$cmd]}")
done
for pkg in "${LIB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "[deps] installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "[deps] ok" >&2
