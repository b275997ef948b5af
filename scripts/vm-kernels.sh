#!/usr/bin/env bash
# Fetches, verifies and unpacks the Debian kernels tests/vm/run.sh boots, and describes each.
#
#   scripts/vm-kernels.sh [ID...]     IDs: 6.1 6.12 7.2 7.3 (default: all four)
#
# For each kernel it writes $SKELGEN_KERNEL_CACHE/<id>/kernel.env (shell assignments:
# KERNEL_ID, KERNEL_RELEASE, KERNEL_IMAGE, KERNEL_CONFIG, KERNEL_HEADERS, KERNEL_PACKAGES)
# and prints one line "<id> <release> <packages>".
#
#  - 6.1 is the installed linux-image-amd64 (/boot/vmlinuz-6.1.*); dpkg --verify checks its
#    files against the package's md5sums.
#  - 6.12 (bookworm-security), 7.2 (sid) and 7.3 (trixie-backports) come from Debian's
#    archive with `apt-get download`, through a private apt configuration per suite (its
#    own sources list, lists, cache and status under the cache directory, the machine's
#    configured mirror with another suite): apt checks each package's SHA256 against the
#    suite's signed index, and a cached package is checked again against that index on
#    every run. The newest version the suite serves is taken. The packages are unpacked
#    with `dpkg -x` under <id>/root, and /lib/modules/<release> is made a link to the
#    unpacked modules (virtme-ng looks for a kernel's modules there).
#
# A kernel that cannot be fetched or verified fails the script with a message naming it
# and why; nothing is skipped.
#
# Environment: SKELGEN_KERNEL_CACHE (default /var/lib/skelgen-kernels, kept across runs
# and worktrees; not under /var/cache, which virtme-ng's guest hides with a tmpfs, and the
# guest must see the modules and the configuration), SKELGEN_DEBIAN_MIRROR and SKELGEN_SECURITY_MIRROR (default: the URIs
# the machine's apt sources use for its release and its security suite).
set -euo pipefail

cache=${SKELGEN_KERNEL_CACHE:-/var/lib/skelgen-kernels}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

fail() {
    echo "scripts/vm-kernels.sh: $*" >&2
    exit 1
}

# Every URI of the machine's apt sources (one-line and deb822 formats) that serves a suite
# matching the extended regular expression $1.
configured_uris() {
    local want=$1
    {
        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\) \([^ ]*\) .*/\2 \3/p'
        awk '/^URIs:/ { u = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) print u, $i }
             /^$/ { u = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null
    } | awk -v re="$want" '$2 ~ re { print $1 }' | head -n 1
}

mirror_for() {
    local suite=$1 uri
    case $suite in
        *-security)
            uri=${SKELGEN_SECURITY_MIRROR:-$(configured_uris '-security$')}
            ;;
        *)
            uri=${SKELGEN_DEBIAN_MIRROR:-$(configured_uris '^[a-z]+$')}
            ;;
    esac
    [ -n "$uri" ] || fail "no apt source of this machine serves a suite like $suite; set SKELGEN_DEBIAN_MIRROR / SKELGEN_SECURITY_MIRROR"
    echo "$uri"
}

# apt_opts SUITE: the options that give apt-get/apt-cache the suite's private configuration.
apt_opts() {
    local dir=$cache/apt/$1
    echo -o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=/dev/null \
        -o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=$dir/status" \
        -o "Dir::Cache=$dir/cache" -o Dir::Etc::preferencesparts=/dev/null
}

# suite_update ID SUITE: fresh private lists for SUITE; stale ones are used (with a note)
# when the archive cannot be reached, none at all fails the kernel.
suite_update() {
    local id=$1 suite=$2 dir=$cache/apt/$2 log
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    touch "$dir/status"
    echo "deb [signed-by=$keyring] $(mirror_for "$suite") $suite main" >"$dir/sources.list"
    log=$dir/update.log
    # shellcheck disable=SC2046
    if apt-get $(apt_opts "$suite") -q update >"$log" 2>&1 && ! grep -q '^[WE]:' "$log"; then
        return 0
    fi
    if ls "$dir"/lists/*_Packages >/dev/null 2>&1; then
        echo "note: kernel $id: could not refresh $suite's index, using the one fetched before:" >&2
        sed 's/^/    /' "$log" >&2
        return 0
    fi
    sed 's/^/    /' "$log" >&2
    fail "kernel $id: apt-get update of $suite failed (above), so its packages cannot be verified"
}

# newest ID SUITE REGEX: the newest package of SUITE whose name matches REGEX.
newest() {
    local id=$1 suite=$2 re=$3 name
    # shellcheck disable=SC2046
    name=$(apt-cache $(apt_opts "$suite") pkgnames 2>/dev/null | grep -Ex -- "$re" | sort -V | tail -n 1)
    [ -n "$name" ] || fail "kernel $id: no package matching '$re' in $suite"
    echo "$name"
}

# fetch_deb ID SUITE PACKAGE: PACKAGE's .deb in the cache, verified against SUITE's index.
fetch_deb() {
    local id=$1 suite=$2 pkg=$3 ver sha name file got
    # shellcheck disable=SC2046
    read -r ver sha name < <(apt-cache $(apt_opts "$suite") show --no-all-versions "$pkg" 2>/dev/null |
        awk '/^Version:/ { v = $2 } /^SHA256:/ { s = $2 } /^Filename:/ { f = $2 }
             END { print v, s, f }')
    [ -n "$sha" ] || fail "kernel $id: $suite's index has no SHA256 for $pkg"
    file=$cache/debs/${name##*/}
    if [ ! -f "$file" ]; then
        mkdir -p "$cache/debs"
        # shellcheck disable=SC2046
        (cd "$cache/debs" && apt-get $(apt_opts "$suite") -q download "$pkg=$ver") \
            >"$cache/debs/download.log" 2>&1 || {
            sed 's/^/    /' "$cache/debs/download.log" >&2
            fail "kernel $id: apt-get download $pkg=$ver from $suite failed (above)"
        }
    fi
    [ -f "$file" ] || fail "kernel $id: apt-get download $pkg left no $file"
    got=$(sha256sum "$file" | cut -d' ' -f1)
    [ "$got" = "$sha" ] || {
        rm -f "$file"
        fail "kernel $id: $file has SHA256 $got, $suite's index says $sha (deleted; run again)"
    }
    echo "$file"
}

write_env() {
    local id=$1
    mkdir -p "$cache/$id"
    {
        printf 'KERNEL_ID=%q\nKERNEL_RELEASE=%q\nKERNEL_IMAGE=%q\n' "$id" "$release" "$image"
        printf 'KERNEL_CONFIG=%q\nKERNEL_HEADERS=%q\nKERNEL_PACKAGES=%q\n' \
            "$config" "$headers" "$packages"
    } >"$cache/$id/kernel.env"
    echo "$id $release $packages"
}

# The installed 6.1: its files as the package shipped them.
installed_61() {
    image=$(ls -1 /boot/vmlinuz-6.1.* 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$image" ] || fail "kernel 6.1: no /boot/vmlinuz-6.1.*; scripts/install-deps.sh installs linux-image-amd64"
    release=${image##*/vmlinuz-}
    config=/boot/config-$release
    packages="linux-image-$release linux-headers-$release"
    local pkg out
    for pkg in $packages; do
        out=$(dpkg --verify "$pkg" 2>&1) || fail "kernel 6.1: dpkg --verify $pkg failed: $out"
        # Configuration files may differ; a changed shipped file may not.
        ! grep -v ' c /' <<<"$out" | grep -q . || fail "kernel 6.1: files of $pkg changed since install: $out"
    done
    headers=/usr/src/linux-headers-$release
    [ -d "$headers" ] || fail "kernel 6.1: no $headers; scripts/install-deps.sh installs linux-headers-amd64"
    write_env 6.1
}

# from_archive ID SUITE IMAGE-REGEX FLAVOUR-SUFFIX: the newest image of SUITE matching
# IMAGE-REGEX (whose name is <prefix>-<version><suffix>), with its modules and headers.
from_archive() {
    local id=$1 suite=$2 re=$3 prefix=$4 pkg version debs=() deb root
    suite_update "$id" "$suite"
    pkg=$(newest "$id" "$suite" "$re")
    version=${pkg#"$prefix"-}
    version=${version%-amd64}
    packages=$pkg
    case $prefix in
        linux-binary) packages+=" linux-modules-$version-amd64" ;;
    esac
    packages+=" linux-headers-$version-amd64 linux-headers-$version-common linux-kbuild-$version"
    for pkg in $packages; do
        debs+=("$(fetch_deb "$id" "$suite" "$pkg")")
    done
    root=$cache/$id/root
    # Unpacked again when the packages changed (a new version, or a first run).
    if [ "$(cat "$cache/$id/unpacked" 2>/dev/null)" != "${debs[*]}" ]; then
        rm -rf "$root" "$cache/$id/unpacked"
        mkdir -p "$root"
        for deb in "${debs[@]}"; do
            dpkg -x "$deb" "$root" || fail "kernel $id: dpkg -x $deb failed"
        done
        # The headers' Makefile names itself and the common headers by their installed
        # paths: point it at the unpacked ones (everything else in them is relative).
        sed -i "s|\([ =]\)/usr/src/|\1$root/usr/src/|" \
            "$root"/usr/src/linux-headers-*-amd64/Makefile
        echo "${debs[*]}" >"$cache/$id/unpacked"
    fi
    release=$(ls "$root/usr/lib/modules" 2>/dev/null || ls "$root/lib/modules" 2>/dev/null)
    [ "$(wc -w <<<"$release")" -eq 1 ] || fail "kernel $id: expected one release under $root's modules, found: $release"
    local mods=$root/usr/lib/modules/$release
    [ -d "$mods" ] || mods=$root/lib/modules/$release
    image=$mods/vmlinuz
    [ -f "$image" ] || image=$root/boot/vmlinuz-$release
    [ -f "$image" ] || fail "kernel $id: no vmlinuz in $packages"
    headers=$root/usr/src/linux-headers-$release
    [ -d "$headers" ] || fail "kernel $id: no headers in $packages"
    # linux-binary-* ships no /boot/config-*: the headers' .config is the same file.
    config=$root/boot/config-$release
    [ -f "$config" ] || config=$headers/.config
    [ -f "$config" ] || fail "kernel $id: no config-$release in $packages"
    link_modules "$id" "$release" "$mods"
    write_env "$id"
}

# virtme-ng finds a kernel's modules in /lib/modules/<release> of the (shared) root.
link_modules() {
    local id=$1 release=$2 mods=$3 dest=/lib/modules/$2
    if [ -L "$dest" ] && [ "$(readlink "$dest")" = "$mods" ]; then
        return 0
    fi
    [ ! -e "$dest" ] || [ -L "$dest" ] || fail "kernel $id: $dest exists and is not a link to $mods; remove it"
    ln -sfn "$mods" "$dest" 2>/dev/null ||
        fail "kernel $id: cannot link $dest to $mods (run as root, or make the link once)"
}

ids=("$@")
[ "${#ids[@]}" -gt 0 ] || ids=(6.1 6.12 7.2 7.3)
for id in "${ids[@]}"; do
    case $id in
        6.1) installed_61 ;;
        6.12) from_archive 6.12 bookworm-security 'linux-image-6\.12\.[0-9]+\+deb12-amd64' linux-image ;;
        7.2) from_archive 7.2 sid 'linux-binary-7\.2\.[0-9]+\+deb[0-9]+-amd64' linux-binary ;;
        7.3) from_archive 7.3 trixie-backports 'linux-binary-7\.3\.[0-9]+\+deb[0-9]+-amd64' linux-binary ;;
        *) fail "unknown kernel '$id' (known: 6.1 6.12 7.2 7.3)" ;;
    esac
done
