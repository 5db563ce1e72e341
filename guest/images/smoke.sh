#!/usr/bin/env bash
# Boots a built guest image once and checks that the agent comes up: smoke.sh NAME
#
# Uses the QEMU command line of the host agent (microvm, TCG, virtio-mmio disk and serial port)
# on a throwaway qcow2 overlay, so the cached rootfs.ext4 is never written. Passes when the
# console shows "wrenn-agent: ready" within WRENN_SMOKE_TIMEOUT seconds (default 30) and prints
# the time from QEMU's start to that line.
#
# One addition to that command line: tsc_early_khz=<host TSC rate>. Under TCG the guest's TSC
# ticks at the host's TSC rate, and microvm has no HPET or ACPI PM timer, so the kernel can only
# calibrate the TSC against the PIT. Under TCG on a busy host that calibration fails often (about
# half the boots here); the kernel then has no working clock and hangs before init. The host's
# BogoMIPS is twice its TSC rate in MHz (x86 derives loops_per_jiffy from the TSC).
set -euo pipefail

CACHE=${WRENN_IMAGE_CACHE:-$HOME/.cache/wrenn/images}
TIMEOUT=${WRENN_SMOKE_TIMEOUT:-30}
READY_LINE="wrenn-agent: ready"

die() { echo "smoke.sh: error: $*" >&2; exit 1; }

(( $# == 1 )) || die "usage: smoke.sh NAME"
name=$1
command -v qemu-system-x86_64 > /dev/null || die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
command -v qemu-img > /dev/null || die "qemu-img not found: apt-get install qemu-utils"
[[ -L $CACHE/$name ]] || die "no image $name in $CACHE (build it with guest/images/build.sh $name)"
# Resolve the link once: a build that finishes meanwhile must not swap files under this run.
image=$(readlink -f "$CACHE/$name")
[[ -f $image/BUILD_OK ]] || die "$image is not a finished image"

work=$(mktemp -d /tmp/wrenn-smoke.XXXXXX)
qemu_pid=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    [[ -z $qemu_pid ]] || { kill "$qemu_pid" 2> /dev/null || true; wait "$qemu_pid" 2> /dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

tsc_khz=$(awk -F: '/^bogomips/ { printf "%d", $2 * 500; exit }' /proc/cpuinfo)
[[ $tsc_khz -gt 0 ]] || die "cannot read the host's BogoMIPS from /proc/cpuinfo"

qemu-img create -q -f qcow2 -b "$image/rootfs.ext4" -F raw "$work/overlay.qcow2"
cd "$work"
start=${EPOCHREALTIME/./}
qemu-system-x86_64 -machine microvm -accel tcg -cpu max -m 512 -smp 1 \
    -nographic -nodefaults -no-user-config -no-reboot \
    -serial file:console.log \
    -kernel "$image/vmlinux" -initrd "$image/initrd.img" \
    -append "console=ttyS0 quiet panic=-1 tsc_early_khz=$tsc_khz" \
    -device virtio-serial-device \
    -chardev socket,id=c0,path=ctl.sock,server=on,wait=off \
    -device virtserialport,chardev=c0,name=wrenn.0 \
    -drive id=d0,file=overlay.qcow2,format=qcow2,if=none \
    -device virtio-blk-device,drive=d0 \
    < /dev/null > qemu.log 2>&1 &
qemu_pid=$!

elapsed_ms() { echo $(( (${EPOCHREALTIME/./} - start) / 1000 )); }
seconds() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
while :; do
    if line=$(grep -m1 -F "$READY_LINE" console.log 2> /dev/null); then
        ms=$(elapsed_ms)
        echo "[smoke $name] ready after $(seconds "$ms") s, console: \"$line\" ($image)"
        exit 0
    fi
    if ! kill -0 "$qemu_pid" 2> /dev/null; then
        why="QEMU exited"; break
    fi
    if (( $(elapsed_ms) > TIMEOUT * 1000 )); then
        why="no '$READY_LINE' within $TIMEOUT s"; break
    fi
    sleep 0.05
done
{
    echo "[smoke $name] FAILED: $why ($image)"
    echo "--- console (last 40 lines) ---"; tail -n 40 console.log 2> /dev/null || true
    echo "--- qemu ---"; cat qemu.log
} >&2
exit 1
