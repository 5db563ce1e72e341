#!/usr/bin/env bash
# Builds Wrenn guest images from Debian packages: build.sh NAME...   (NAME: minimal, base-python)
#
# Each image is a directory $CACHE/<name>-<hash16>/ holding vmlinux, initrd.img, rootfs.ext4,
# image.properties and, written last, BUILD_OK; the symlink $CACHE/<name> points at the current one.
# The hash covers every input (this script, the agent binary, the kernel package, the module list,
# the package list), so an image is rebuilt exactly when one of them changes.
#
# Environment:
#   WRENN_IMAGE_CACHE     cache dir (default ~/.cache/wrenn/images)
#   WRENN_AGENT_BIN       use this static binary as the guest agent instead of building guest/agent
#   WRENN_DEBIAN_MIRROR   Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   WRENN_IMAGE_KEEP_OLD  1 = keep older image dirs of the same name (default: remove them)
#
# Progress goes to stderr; stdout gets one line per image: "[image NAME] built|up to date (DIR)".
set -euo pipefail -o errtrace
umask 022
trap 'echo "build.sh: failed (status $?) at line $LINENO: $BASH_COMMAND" >&2' ERR

SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SCRIPT")/../.." && pwd)
CACHE=${WRENN_IMAGE_CACHE:-$HOME/.cache/wrenn/images}
MIRROR=${WRENN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
KERNEL_META=linux-image-amd64
# Loaded by the agent in this order (dependencies are resolved and put first from each .ko's
# depends=). crc32c_generic is listed because ext4 needs the crc32c algorithm only as a soft
# dependency (through the crypto API), which depends= does not name. virtio_net is eth0 (docs/guest-protocol.md section 9).
MODULES=(virtio_ring virtio virtio_mmio virtio_blk virtio_console
         crc16 mbcache jbd2 crc32c_generic ext4
         failover net_failover virtio_net)
# Debian minbase (bash, coreutils, dash, grep, sed, tar, gzip, findutils, util-linux, apt, ...) plus
# what an agent's first commands need; base-python adds Python with pip and venv.
declare -A PACKAGES=(
    [minimal]=git,curl,ca-certificates,procps,iproute2,less,xz-utils
    [base-python]=git,curl,ca-certificates,procps,iproute2,less,xz-utils,python3,python3-pip,python3-venv
)
ROOTFS_LABEL=wrenn-root

# Sparse: only what is written takes space, here and in every capsule's overlay.
declare -A ROOTFS_SIZE=([minimal]=2G [base-python]=3G)
declare -A STEPS=([minimal]=6 [base-python]=6)

die() { echo "build.sh: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Progress and temp dirs

IMAGE=""; STEP=0; T0=0
now_us() { echo "${EPOCHREALTIME/./}"; }
elapsed() { local ds=$(( ($(now_us) - T0) / 100000 )); echo "$((ds / 10)).$((ds % 10))"; }
step() { STEP=$((STEP + 1)); echo "[image $IMAGE] step $STEP/${STEPS[$IMAGE]}: $* ($(elapsed) s)" >&2; }
note() { echo "[image $IMAGE]   $* ($(elapsed) s)" >&2; }

TEMPS=()
# Unmounts whatever is still mounted below DIR, deepest first. debootstrap bind-mounts the host's
# /dev nodes and mounts /proc inside its target; an interrupted run can leave them, and rm -r
# through such a mount would delete host files.
unmount_below() {
    local dir=$1 mp
    awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
        while read -r mp; do umount -l "$mp" 2>/dev/null || true; done
}
remove_tree() {
    [[ -e $1 ]] || return 0
    unmount_below "$1"
    rm -rf --one-file-system "$1"
}
cleanup() { local t; for t in "${TEMPS[@]}"; do remove_tree "$t"; done; }
trap cleanup EXIT
# INT and TERM end the script through exit, so that cleanup runs. Bash acts on them once the
# running command ends: signal the process group (as Ctrl-C does) to stop a long step at once.
trap 'exit 130' INT
trap 'exit 143' TERM
# make_temp VAR WHAT: a temp dir, removed on exit, inside the cache so that the finished result
# is renamed into place on the same filesystem. (Not $(make_temp): TEMPS must grow in this shell.)
make_temp() {
    local t; t=$(mktemp -d "$CACHE/.tmp-$2.XXXXXX"); TEMPS+=("$t"); printf -v "$1" %s "$t"
}

# ---------------------------------------------------------------------------------------------
# Tools

need() {  # need TOOL APT-PACKAGE
    command -v "$1" >/dev/null 2>&1 || die "'$1' not found: apt-get install $2"
}
check_tools() {
    need sha256sum coreutils; need flock util-linux; need grep grep; need awk mawk
    need apt-get apt; need apt-cache apt; need dpkg-deb dpkg; need dpkg-query dpkg
    need xz xz-utils; need tar tar; need cpio cpio; need mke2fs e2fsprogs; need find findutils
    local name
    for name in "$@"; do
        need debootstrap debootstrap
    done
    [[ -n ${WRENN_AGENT_BIN:-} ]] || need make make
}

# ---------------------------------------------------------------------------------------------
# Guest agent

# Sets AGENT to the agent binary, building guest/agent unless WRENN_AGENT_BIN names one.
prepare_agent() {
    if [[ -n ${WRENN_AGENT_BIN:-} ]]; then
        AGENT=$(readlink -f "$WRENN_AGENT_BIN")
        echo "[images] guest agent: $AGENT (WRENN_AGENT_BIN)" >&2
    else
        [[ -f $REPO/guest/agent/Makefile ]] ||
            die "$REPO/guest/agent/Makefile not found; set WRENN_AGENT_BIN=/path/to/static/agent"
        echo "[images] make -C guest/agent" >&2
        make -C "$REPO/guest/agent" >&2 || die "building the guest agent failed"
        AGENT=$REPO/guest/agent/build/wrenn-agent
    fi
    [[ -f $AGENT && -x $AGENT ]] || die "guest agent $AGENT is not an executable file"
}

# True when FILE is an ELF executable without a program interpreter (PT_INTERP), i.e. static:
# it runs as PID 1 in an initramfs that has no libc.
is_static_elf() {
    local f=$1 phoff phentsize phnum i
    [[ $(od -An -tx1 -N4 "$f" | tr -d ' \n') == 7f454c46 ]] || return 1
    phoff=$(od -An -tu8 -j32 -N8 "$f"); phentsize=$(od -An -tu2 -j54 -N2 "$f")
    phnum=$(od -An -tu2 -j56 -N2 "$f")
    for ((i = 0; i < phnum; i++)); do
        (( $(od -An -tu4 -j$((phoff + i * phentsize)) -N4 "$f") != 3 )) || return 1
    done
}

# ---------------------------------------------------------------------------------------------
# Kernel

# Sets KPKG (linux-image-6.1.0-56-amd64), KVER (6.1.192-2), KDEB (its .deb file name).
# Asking apt takes about a second here (no binary package cache), too slow for the up-to-date
# check, so the answer is kept with a signature of apt's inputs and reused while they are unchanged.
resolve_kernel() {
    local sig memo=$CACHE/kernel-resolution line
    sig=$(shopt -s nullglob
          stat -c '%n %s %Y' /var/lib/apt/lists/*_Packages* /var/lib/dpkg/status \
              /etc/apt/sources.list* /etc/apt/sources.list.d/* /etc/apt/preferences* \
              /etc/apt/preferences.d/* | sha256sum | cut -c1-32)
    if [[ -f $memo ]]; then
        { read -r line; read -r KPKG; read -r KVER; read -r KDEB; } < "$memo"
        [[ $line == "$sig" && -n $KDEB ]] && return 0
    fi
    KPKG=$(apt-cache depends "$KERNEL_META" 2>/dev/null |
           awk '$1 ~ /Depends:$/ && $2 ~ /^linux-image-/ && !n++ { print $2 }')
    [[ -n $KPKG ]] || die "apt knows no $KERNEL_META; run apt-get update"
    KDEB=$(apt-get download --print-uris "$KPKG" 2>/dev/null | awk '!n++ { print $2 }')
    [[ $KDEB == "${KPKG}_"*.deb ]] || die "apt cannot download $KPKG; run apt-get update"
    KVER=${KDEB#"${KPKG}_"}; KVER=${KVER%_*.deb}; KVER=${KVER//%3a/:}
    # Best effort: a user who may not write the cache still gets the answer.
    { printf '%s\n' "$sig" "$KPKG" "$KVER" "$KDEB" > "$memo.$$" && mv -f "$memo.$$" "$memo"; } \
        2> /dev/null || rm -f "$memo.$$"
}

# depends= of a module file: the .modinfo section is a list of NUL-terminated key=value strings,
# the same table modinfo prints (kmod's modinfo is not installed everywhere, busybox's cannot
# read a file). A second depends= line would mean a stray match elsewhere in the file.
module_depends() {
    local lines
    lines=$(tr '\0' '\n' < "$1" | grep -a '^depends=' || true)
    [[ $(grep -c . <<< "$lines") -le 1 ]] || die "cannot tell the depends= of $1"
    echo "${lines#depends=}"
}

# Resolves MODULES with their dependencies (dependencies first) from the modules tree DIR and
# copies them into OUT together with modules.order.
select_modules() {
    local tree=$1 out=$2 f m
    local -A path=() seen=()
    local order=()
    while IFS= read -r f; do
        m=${f##*/}; m=${m%.ko}; path[${m//-/_}]=$f
    done < <(find "$tree" -name '*.ko')
    add_module() {
        local m=$1 dep deps
        [[ -z ${seen[$m]:-} ]] || return 0
        seen[$m]=1
        [[ -n ${path[$m]:-} ]] || die "kernel module $m not found in $KDEB"
        deps=$(module_depends "${path[$m]}")
        for dep in ${deps//,/ }; do add_module "$dep"; done
        order+=("$m")
    }
    for m in "${MODULES[@]}"; do add_module "$m"; done
    mkdir -p "$out"
    for m in "${order[@]}"; do
        cp "${path[$m]}" "$out/"
        basename "${path[$m]}" >> "$out/modules.order"
    done
}

# Makes sure $CACHE/kernel-$KVER/ holds the .deb, vmlinux and the selected modules
# (modules-<hash of MODULES>/). Sets KDIR, KREL (the kernel release, 6.1.0-56-amd64), KMODS.
prepare_kernel() {
    KDIR=$CACHE/kernel-${KVER//[^A-Za-z0-9.+~-]/_}
    KMODS=$KDIR/modules-$(printf '%s\n' "${MODULES[@]}" | sha256sum | cut -c1-16)
    if [[ -f $KDIR/READY && -f $KMODS/modules.order ]]; then
        KREL=$(< "$KDIR/release"); note "kernel $KPKG $KVER (cached)"; return 0
    fi
    local tmp x dl
    make_temp tmp kernel; x=$tmp/x; mkdir -p "$x"
    if [[ ! -f $KDIR/$KDEB ]]; then
        note "downloading $KDEB"
        # apt drops privileges to _apt for downloads; a world-readable dir avoids its warning.
        dl=$(mktemp -d /tmp/wrenn-kernel.XXXXXX); TEMPS+=("$dl"); chmod 755 "$dl"
        (cd "$dl" && apt-get -q download "$KPKG" > "$dl/apt.log" 2>&1) ||
            { cat "$dl/apt.log" >&2; die "downloading $KPKG failed (apt-get update may help)"; }
        mkdir -p "$KDIR"; mv "$dl/$KDEB" "$KDIR/$KDEB.part"; mv "$KDIR/$KDEB.part" "$KDIR/$KDEB"
    fi
    note "unpacking $KDEB"
    dpkg-deb --fsys-tarfile "$KDIR/$KDEB" | tar -x -C "$x" ./boot ./lib/modules
    if [[ ! -f $KDIR/READY ]]; then
        local vmlinuz off
        vmlinuz=$(echo "$x"/boot/vmlinuz-*); KREL=${vmlinuz##*/vmlinuz-}
        note "decompressing vmlinuz-$KREL"
        # The bzImage carries the kernel as an xz stream; its decompressed form is an ELF with a
        # PVH entry note, which QEMU boots directly (no decompression at each boot). The first
        # xz magic whose stream decompresses to an ELF is the kernel.
        # (--single-stream: ignore what follows the stream.)
        while read -r off; do
            tail -c +$((off + 1)) "$vmlinuz" > "$tmp/vmlinux.xz"
            if xz -dc --single-stream "$tmp/vmlinux.xz" > "$tmp/vmlinux" 2>/dev/null &&
               [[ $(od -An -tx1 -N4 "$tmp/vmlinux" | tr -d ' \n') == 7f454c46 ]]; then
                break
            fi
            rm -f "$tmp/vmlinux"
        done < <(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$vmlinuz" | cut -d: -f1)
        [[ -f $tmp/vmlinux ]] || die "no xz-compressed ELF kernel found in $vmlinuz"
        mv "$tmp/vmlinux" "$KDIR/vmlinux"
        cp "$x/boot/config-$KREL" "$KDIR/config"
        echo "$KREL" > "$KDIR/release"
        touch "$KDIR/READY"
    fi
    KREL=$(< "$KDIR/release")
    note "selecting modules"
    select_modules "$x/lib/modules/$KREL" "$tmp/modules"
    rm -rf "$KMODS"; mv "$tmp/modules" "$KMODS"
    remove_tree "$tmp"
}

# ---------------------------------------------------------------------------------------------
# initrd: /init (the agent), /lib/modules/*.ko, /modules.order, empty /dev /proc /sys /newroot.
# Uncompressed newc (the kernel unpacks it without a decompressor) with fixed owner and mtimes, so
# the same inputs give the same bytes. /dev/console comes from the kernel's built-in initramfs.
build_initrd() {
    local out=$1 root=$2
    mkdir -p "$root"/{dev,proc,sys,newroot,lib/modules}
    install -m 0755 "$AGENT" "$root/init"
    install -m 0644 "$KMODS"/*.ko "$root/lib/modules/"
    install -m 0644 "$KMODS/modules.order" "$root/modules.order"
    find "$root" -exec touch -h -d @0 {} +
    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0 --reproducible) > "$out"
}

# ---------------------------------------------------------------------------------------------
# Root filesystem trees

# What every image gets on top of its base: the agent, mount points, host identity files.
common_tree() {
    local r=$1
    mkdir -p "$r"/{dev/pts,proc,sys,run,root,tmp,usr/local/bin,usr/local/sbin,etc}
    chmod 1777 "$r/tmp"
    chmod 0700 "$r/root"
    install -m 0755 "$AGENT" "$r/usr/local/sbin/wrenn-agent"
    # The agent names the host "capsule" at boot (and as the host says in INIT).
    echo capsule > "$r/etc/hostname"
    cat > "$r/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	capsule
::1		localhost ip6-localhost ip6-loopback
EOF
}

# debootstrap's result depends only on these parameters (and the mirror's state), so it is kept
# as a tarball keyed by them: a rebuild for a new agent or script skips the download and install.
debootstrap_tarball() {
    local name=$1 key dir=$CACHE/debootstrap packages=${PACKAGES[$1]}
    key=$(printf '%s\n' "$SUITE" minbase "$packages" "$MIRROR" | sha256sum | cut -c1-16)
    DEBOOTSTRAP_TAR=$dir/$SUITE-$name-$key.tar
    if [[ -f $DEBOOTSTRAP_TAR ]]; then note "debootstrap result cached ($DEBOOTSTRAP_TAR)"; return 0; fi
    local tmp log
    make_temp tmp debootstrap; log=$tmp/debootstrap.log
    mkdir -p "$dir/debs"
    note "debootstrap $SUITE minbase + $packages from $MIRROR (log: $log)"
    # One progress line per debootstrap stage instead of one per package: a run of lines with
    # the same verb (Retrieving, Extracting, Unpacking, Configuring ...) shows as its first line;
    # each "Validating" follows its "Retrieving" and is left out.
    local prev="" line verb
    if ! debootstrap --variant=minbase --include="$packages" --cache-dir="$dir/debs" \
            "$SUITE" "$tmp/root" "$MIRROR" 2>&1 | tee "$log" |
        while IFS= read -r line; do
            verb=$line; [[ $line == "I: "* ]] && { verb=${line#I: }; verb=${verb%% *}; }
            [[ $verb == Validating ]] && continue
            [[ $verb == "$prev" ]] || note "debootstrap: ${line#I: }"
            prev=$verb
        done
    then
        tail -n 30 "$log" >&2; die "debootstrap failed (log above)"
    fi
    unmount_below "$tmp/root"
    note "saving the debootstrap result"
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$tmp/root" -cf "$tmp/root.tar" .
    mv "$tmp/root.tar" "$DEBOOTSTRAP_TAR"
    remove_tree "$tmp"
}

# A root tree from the image's debootstrap result.
tree_debian() {
    local name=$1 r=$2
    mkdir -p "$r"
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$r" -xpf "$DEBOOTSTRAP_TAR"
    # The package lists and caches are large and stale the moment the image is built; apt in the
    # guest fetches fresh ones. debootstrap copied the host's resolv.conf: no host config in images.
    # (Files only: apt wants its partial/ dirs as they are, owned by _apt.)
    find "$r/var/lib/apt/lists" "$r/var/cache/apt" -type f -delete
    # The resolver is the capsule's gateway, the same address in every capsule (docs/network.md).
    echo "nameserver 169.254.0.22" > "$r/etc/resolv.conf"
    # debootstrap leaves device nodes in /dev (in some containers, empty placeholder files for
    # its bind mounts); the agent mounts devtmpfs there anyway.
    find "$r/dev" -mindepth 1 -delete
    # The whole VM is the sandbox: let pip install into the system Python (PEP 668 would refuse).
    [[ $name != base-python ]] || printf '[global]\nbreak-system-packages = true\n' > "$r/etc/pip.conf"
    common_tree "$r"
}

# ---------------------------------------------------------------------------------------------
# Images

# Prints the inputs an image is made from; their sha256 names the image.
image_inputs() {
    local name=$1
    echo "image $name"
    sha256sum "$SCRIPT" "$AGENT" | awk 'NR == 1 { print "build.sh", $1 } NR == 2 { print "agent", $1 }'
    echo "kernel $KDEB"
    echo "modules ${MODULES[*]}"
    echo "rootfs_size ${ROOTFS_SIZE[$name]}"
    echo "debootstrap $SUITE minbase ${PACKAGES[$name]} $MIRROR"
}

build_image() {
    local name=$1 inputs hash dir tmp size
    IMAGE=$name; STEP=0; T0=$(now_us)
    inputs=$(image_inputs "$name")
    hash=$(sha256sum <<< "$inputs" | cut -c1-16)
    dir=$CACHE/$name-$hash
    if [[ -f $dir/BUILD_OK ]]; then
        link_current "$name" "$hash"
        echo "[image $name] up to date ($dir)"
        return 0
    fi
    [[ $EUID -eq 0 ]] || die "building images needs root (file ownership inside the image, debootstrap)"
    is_static_elf "$AGENT" || die "guest agent $AGENT is not a static ELF executable"
    # One build at a time per cache: two would download and unpack the same kernel.
    exec 9> "$CACHE/.lock"
    flock 9
    if [[ -f $dir/BUILD_OK ]]; then  # built by another run while we waited
        link_current "$name" "$hash"; echo "[image $name] up to date ($dir)"; exec 9>&-; return 0
    fi
    local stale
    for stale in "$CACHE"/.tmp-*; do remove_tree "$stale"; done  # left by a killed build
    echo "[image $name] building $dir" >&2

    step "kernel"
    prepare_kernel
    make_temp tmp "$name"
    chmod 755 "$tmp"  # mktemp made it private; the host agent may run as another user
    printf '%s\n' "$inputs" > "$tmp/inputs.txt"
    ln "$KDIR/vmlinux" "$tmp/vmlinux" 2>/dev/null || cp "$KDIR/vmlinux" "$tmp/vmlinux"

    step "initrd"
    build_initrd "$tmp/initrd.img" "$tmp/initrd-root"
    rm -rf "$tmp/initrd-root"

    step "debootstrap"
    debootstrap_tarball "$name"
    step "root tree (debootstrap result)"
    tree_debian "$name" "$tmp/root"

    step "ext4 root filesystem (${ROOTFS_SIZE[$name]})"
    # Sparse raw file. mke2fs -d copies the tree in (no loop mount). Inode tables and the journal
    # are initialised now, so the guest kernel does no lazy-init writes into every overlay.
    # No reserved blocks: root is the only user of a sandbox.
    truncate -s "${ROOTFS_SIZE[$name]}" "$tmp/rootfs.ext4"
    mke2fs -q -F -t ext4 -L "$ROOTFS_LABEL" -m 0 -E lazy_itable_init=0,lazy_journal_init=0 \
        -d "$tmp/root" "$tmp/rootfs.ext4"
    remove_tree "$tmp/root"

    step "publish"
    size=$(stat -c %s "$tmp/rootfs.ext4")
    cat > "$tmp/image.properties" <<EOF
name=$name
hash=$hash
kernel_package=$KPKG
kernel_version=$KVER
kernel_release=$KREL
rootfs_bytes=$size
rootfs_label=$ROOTFS_LABEL
agent_sha256=$(sha256sum < "$AGENT" | cut -d' ' -f1)
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
    # Durable before BUILD_OK says so: a crash must not leave a marked image with holes.
    sync "$tmp/vmlinux" "$tmp/initrd.img" "$tmp/rootfs.ext4"
    touch "$tmp/BUILD_OK"
    rm -rf "$dir"  # an unfinished dir of this name cannot come from this script, but be sure
    mv -T "$tmp" "$dir"
    link_current "$name" "$hash"
    prune_old "$name" "$hash"
    exec 9>&-
    note "done: vmlinux $(apparent "$dir/vmlinux"), initrd $(apparent "$dir/initrd.img")," \
         "rootfs $(du -h "$dir/rootfs.ext4" | cut -f1) allocated of $(apparent "$dir/rootfs.ext4")"
    echo "[image $name] built ($dir)"
}

apparent() { du -h --apparent-size "$1" | cut -f1; }

# Points $CACHE/NAME at NAME-HASH atomically (rename over the old link); readers never see no link.
link_current() {
    local name=$1 hash=$2 link=$CACHE/$1
    [[ $(readlink "$link" 2>/dev/null) == "$name-$hash" ]] && return 0
    ln -sfn "$name-$hash" "$link.tmp$$"
    mv -T "$link.tmp$$" "$link"
}

# Older images of NAME go, unless WRENN_IMAGE_KEEP_OLD=1 (something may still use their files,
# e.g. a qcow2 overlay whose backing file is an old rootfs.ext4).
prune_old() {
    local name=$1 hash=$2 d
    [[ ${WRENN_IMAGE_KEEP_OLD:-0} == 1 ]] && return 0
    for d in "$CACHE/$name"-*; do
        [[ -f $d/image.properties && $d != "$CACHE/$name-$hash" ]] || continue
        grep -qx "name=$name" "$d/image.properties" || continue  # e.g. an image "$name-foo"
        note "removing old image $d"
        rm -rf "$d"
    done
}

main() {
    (( $# > 0 )) || die "usage: build.sh NAME...   (NAME: ${!ROOTFS_SIZE[*]})"
    local name
    for name in "$@"; do
        [[ -n ${ROOTFS_SIZE[$name]:-} ]] || die "unknown image '$name' (known: ${!ROOTFS_SIZE[*]})"
    done
    check_tools "$@"
    mkdir -p "$CACHE"
    prepare_agent
    resolve_kernel
    # Image building is background work on shared machines: stay behind interactive processes.
    renice -n 10 -p $$ > /dev/null 2>&1 || true
    for name in "$@"; do build_image "$name"; done
}

main "$@"
