#!/usr/bin/env bash
# Make a sample storage domain of realistic disk images, with host tools only (no appliance,
# no Node): seconds on an idle machine (22-38 s measured on a busy 2-core one) and 1.2 GB of disk
# (the files are sparse: 3.8 GB apparent).
#
#   bash scripts/make-samples.sh [DIR]        # DIR defaults to ./var/storage/samples
#   PORT and DEV_TOKEN_FILE, when set, go into the printed instructions (as for npm start).
#
# Re-running replaces every sample. Each image is built in a work dir and moved into place.
# What you get (all 1 GiB virtual, ext4 unless noted; "deleted" = 200 MiB written then rm'ed,
# the blocks still hold data, which is what virt-sparsify --in-place reclaims):
#   ext4-deleted.qcow2      qcow2, filesystem on the whole disk, 320 MiB deleted: above the default
#                           needs-sparsify policy (256 MiB and 10 %), so "Needs sparsify" lists it
#   ext4-deleted-part.raw   raw, MBR partition table, filesystem on partition 1 at 1 MiB
#   base.qcow2              clean base (nothing deleted)
#   base-snap1.qcow2        overlay on base.qcow2; 200 MiB written into free blocks after the
#                           snapshot: data deleted in the leaf
#   template.qcow2          template with deleted data, backing file of:
#   clone-1.qcow2, clone-2.qcow2   linked clones (relative backing name "template.qcow2")
#   preallocated.qcow2      deleted data, -o preallocation=metadata (sparsify would undo it)
#   no-filesystem.raw       1 GiB sparse raw, its first 10 MiB random: virt-sparsify "completes"
#                           and trims nothing (outcome NO_FILESYSTEM_FOUND)
# Every file also keeps /keep.bin (1 MiB random) inside its filesystem; its sha256 is printed.
set -euo pipefail

DIR=${1:-./var/storage/samples}
MIB=1048576

for tool in qemu-img qemu-io mke2fs debugfs dumpe2fs sfdisk truncate; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  command -v "$tool" >/dev/null 2>&1 || { echo "make-samples: missing $tool (apt-get install qemu-utils e2fsprogs fdisk)" >&2; exit 1; }
done

mkdir -p -- "$DIR"
DIR=$(cd -- "$DIR" && pwd)
case $DIR in *'?'*) echo "make-samples: DIR must not contain '?' (e2fsprogs offset syntax)" >&2; exit 1 ;; esac
WORK=$(mktemp -d "$DIR/.make-samples.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

# mkfs_raw RAW LAYOUT DELETED_MIB -> builds an ext4 raw disk; prints "FS_OFFSET KEEP_SHA256"
mkfs_raw() {
  local raw=$1 layout=$2 deleted=$3 root offset=0 dev
  root=$(mktemp -d "$WORK/root.XXXXXX")
  head -c "$MIB" /dev/urandom > "$root/keep.bin"
  # One random MiB repeated: non-zero and incompressible enough, much faster than urandom.
  if [ "$deleted" -gt 0 ]; then
    head -c "$MIB" /dev/urandom > "$WORK/block"
    for ((i = 0; i < deleted; i++)); do cat "$WORK/block"; done > "$root/big.bin"
  fi
  truncate -s 1G -- "$raw"
  if [ "$layout" = part ]; then
    offset=$MIB
    echo 'start=2048, type=83' | sfdisk -q -- "$raw"
    # Always -b 4096 and a size with a unit, or mke2fs picks 1 KiB blocks (docs/virt-sparsify.md §9.14).
    mke2fs -q -F -t ext4 -b 4096 -E "offset=$offset" -d "$root" -- "$raw" 1023M
    dev="$raw?offset=$offset"
  else
    mke2fs -q -F -t ext4 -b 4096 -d "$root" -- "$raw"
    dev=$raw
  fi
  if [ "$deleted" -gt 0 ]; then debugfs -w -R 'rm /big.bin' "$dev" >/dev/null 2>&1; fi
  echo "$offset $(sha256sum < "$root/keep.bin" | cut -d' ' -f1)"
  rm -rf -- "$root"
}

# to_qcow2 RAW OUT [qemu-img -o options]
to_qcow2() {
  local raw=$1 out=$2; shift 2
  qemu-img convert -f raw -O qcow2 "$@" -- "$raw" "$WORK/out.qcow2"
  mv -f -- "$WORK/out.qcow2" "$out"
  rm -f -- "$raw"
}

# largest_free RAW -> "START_BYTE LENGTH" of the largest run of free blocks (from dumpe2fs)
largest_free() {
  dumpe2fs -- "$1" 2>/dev/null | awk '
    /^Block size:/ { bs = $3 }
    /^ +Free blocks: / {
      sub(/^ +Free blocks: /, ""); n = split($0, parts, /, */)
      for (i = 1; i <= n; i++) {
        if (parts[i] == "") continue
        m = split(parts[i], ab, "-"); a = ab[1]; b = (m == 2) ? ab[2] : a
        if (have && a == last + 1) last = b
        else {
          if (have && last - first > bl - bf) { bf = first; bl = last }
          first = a; last = b; have = 1
        }
      }
    }
    END { if (last - first > bl - bf) { bf = first; bl = last }; printf "%d %d\n", bf * bs, (bl - bf + 1) * bs }'
}

declare -A SHA
echo "Making samples in $DIR ..."

read -r _ SHA[ext4-deleted.qcow2] < <(mkfs_raw "$WORK/a.raw" plain 320)
to_qcow2 "$WORK/a.raw" "$DIR/ext4-deleted.qcow2"

read -r _ SHA[ext4-deleted-part.raw] < <(mkfs_raw "$WORK/b.raw" part 200)
mv -f -- "$WORK/b.raw" "$DIR/ext4-deleted-part.raw"

read -r _ SHA[base.qcow2] < <(mkfs_raw "$WORK/c.raw" plain 0)
read -r free_start free_len < <(largest_free "$WORK/c.raw")
to_qcow2 "$WORK/c.raw" "$DIR/base.qcow2"
rm -f -- "$DIR/base-snap1.qcow2"
(cd -- "$DIR" && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 -- base-snap1.qcow2)
# Garbage goes into blocks the guest filesystem lists as free, 1 MiB into the largest free run.
garbage_start=$(( (free_start / MIB + 2) * MIB ))
if [ $((garbage_start + 200 * MIB)) -gt $((free_start + free_len)) ]; then
  echo "make-samples: no 200 MiB free run in base.qcow2" >&2; exit 1
fi
qemu-io -f qcow2 -c "write -q -P 0xab $garbage_start $((200 * MIB))" -- "$DIR/base-snap1.qcow2"
SHA[base-snap1.qcow2]=${SHA[base.qcow2]}

read -r _ SHA[template.qcow2] < <(mkfs_raw "$WORK/d.raw" plain 200)
to_qcow2 "$WORK/d.raw" "$DIR/template.qcow2"
for clone in clone-1.qcow2 clone-2.qcow2; do
  rm -f -- "$DIR/$clone"
  (cd -- "$DIR" && qemu-img create -q -f qcow2 -b template.qcow2 -F qcow2 -- "$clone")
  SHA[$clone]=${SHA[template.qcow2]}
done

read -r _ SHA[preallocated.qcow2] < <(mkfs_raw "$WORK/e.raw" plain 200)
to_qcow2 "$WORK/e.raw" "$DIR/preallocated.qcow2" -o preallocation=metadata

head -c $((10 * MIB)) /dev/urandom > "$WORK/nofs.raw"
# Sparse up to 1 GiB: a fully written small raw would (rightly) be taken for preallocated.
truncate -s 1G "$WORK/nofs.raw"
mv -f -- "$WORK/nofs.raw" "$DIR/no-filesystem.raw"
SHA[no-filesystem.raw]="(no filesystem)"

printf '\n%-24s %-6s %14s %14s %14s  %-16s %s\n' NAME FORMAT VIRTUAL ACTUAL APPARENT BACKING KEEP.BIN_SHA256
for name in ext4-deleted.qcow2 ext4-deleted-part.raw base.qcow2 base-snap1.qcow2 template.qcow2 \
            clone-1.qcow2 clone-2.qcow2 preallocated.qcow2 no-filesystem.raw; do
  f="$DIR/$name"; fmt=${name##*.}
  virtual=$(qemu-img info -f "$fmt" --output=json -- "$f" | sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
  backing=$(qemu-img info -f "$fmt" --output=json -- "$f" | sed -n 's/.*"backing-filename": "\([^"]*\)".*/\1/p')
  read -r blocks apparent < <(stat -c '%b %s' -- "$f")
  printf '%-24s %-6s %14d %14d %14d  %-16s %s\n' "$name" "$fmt" "$virtual" $((blocks * 512)) "$apparent" "${backing:--}" "${SHA[$name]}"
done
echo
echo "Sizes are bytes. ACTUAL is what virt-sparsify --in-place reduces; APPARENT never shrinks."
PORT=${PORT:-4000}
# Where npm start keeps its development token (same variable and default as the gateway's).
TOKEN_FILE=${DEV_TOKEN_FILE:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/var/dev-token}
used=$(du -s --block-size=1 -- "$DIR" | cut -f1)
echo "Disk use: $((used / MIB)) MiB in $DIR (the files are sparse)."
cat <<EOF

Register them: with \`npm start\` running, open http://localhost:$PORT/graphql, put the token it
printed in the Headers tab as {"Authorization": "Bearer <token>"}, and run

  mutation { addStorageDomain(input: { name: "samples", path: "$DIR" }) { id status scanState } }

or from a shell (npm start keeps its development token in $TOKEN_FILE):

  curl -s http://localhost:$PORT/graphql -H 'content-type: application/json' \\
    -H "authorization: Bearer \$(cat '$TOKEN_FILE')" \\
    -d '{"query":"mutation { addStorageDomain(input: { name: \"samples\", path: \"$DIR\" }) { id status scanState } }"}'

The directory must be inside STORAGE_ROOTS (default: ./var/storage).
EOF
