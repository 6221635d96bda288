import { DirectFallbackReason } from "../../domain/direct-method.js";
import { DirectRefusal } from "./direct-contract.js";
import type { ExtSuperblock } from "./ext-superblock.js";

/** Feature bits DIRECT was tested with (test/integration/direct-free-space.test.ts makes each). */
export const EXT_ALLOWED_FEATURES = {
  // has_journal, ext_attr, resize_inode, dir_index
  compat: 0x0004 | 0x0008 | 0x0010 | 0x0020,
  // filetype, extent, 64bit, flex_bg
  incompat: 0x0002 | 0x0040 | 0x0080 | 0x0200,
  // sparse_super, large_file, huge_file, gdt_csum (uninit_bg: ext4 without metadata_csum),
  // dir_nlink, extra_isize, metadata_csum
  roCompat: 0x0001 | 0x0002 | 0x0008 | 0x0010 | 0x0020 | 0x0040 | 0x0400,
} as const;

const INCOMPAT_RECOVER = 0x0004;
/** orphan_file's "orphans present": a mounted filesystem, or one that crashed with open unlinked files. */
const RO_COMPAT_ORPHAN_PRESENT = 0x10000;
/** s_state: EXT2_VALID_FS alone (no ERROR_FS, no ORPHAN_FS). */
const STATE_CLEAN = 0x0001;

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Refuses an ext filesystem that is not provably clean or that uses a feature outside
 * {@link EXT_ALLOWED_FEATURES}: its bitmaps may then not say what is free (a journal to replay,
 * orphans to free, snapshots, clusters, ...). Clean first: a dirty filesystem is the likelier story. Pure.
 * @throws {DirectRefusal} EXT_NOT_CLEAN, EXT_UNSUPPORTED_FEATURE.
 */
export function checkExtClean(sb: ExtSuperblock): void {
  const notClean = (why: string) => new DirectRefusal(DirectFallbackReason.EXT_NOT_CLEAN, `ext filesystem ${why}`);
  if (sb.incompat & INCOMPAT_RECOVER) throw notClean("needs journal recovery (needs_recovery)");
  if (sb.state !== STATE_CLEAN) throw notClean(`state is ${hex(sb.state)}, not clean (0x1)`);
  if (sb.lastOrphan !== 0) throw notClean(`has an orphan list (inode ${sb.lastOrphan})`);
  if (sb.roCompat & RO_COMPAT_ORPHAN_PRESENT) throw notClean("has orphans in its orphan file");
  if (sb.revLevel === 0 && (sb.compat | sb.incompat | sb.roCompat) !== 0) throw notClean("is revision 0 with feature bits");
  const extra = {
    compat: sb.compat & ~EXT_ALLOWED_FEATURES.compat,
    incompat: sb.incompat & ~EXT_ALLOWED_FEATURES.incompat,
    roCompat: sb.roCompat & ~EXT_ALLOWED_FEATURES.roCompat,
  };
  if (extra.compat || extra.incompat || extra.roCompat) {
    const list = Object.entries(extra)
      .filter(([, bits]) => bits)
      .map(([set, bits]) => `${set} ${hex(bits)}`);
    throw new DirectRefusal(
      DirectFallbackReason.EXT_UNSUPPORTED_FEATURE,
      `ext filesystem uses untested features: ${list.join(", ")}`,
    );
  }
}
