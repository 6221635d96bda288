import { execa } from "execa";
import { stat } from "node:fs/promises";
import { sha256File } from "./image-checks.js";

/** What must not change about a file outside the storage roots: its bytes and its allocation. */
export interface CanaryState {
  path: string;
  sha256: string;
  size: number;
  /** st_blocks: a trim (punch hole) changes it even when the bytes read back the same. */
  blocks: number;
  mtimeMs: number;
}

export async function canaryState(path: string): Promise<CanaryState> {
  const st = await stat(path);
  return { path, sha256: await sha256File(path), size: st.size, blocks: st.blocks, mtimeMs: st.mtimeMs };
}

export const canaryStates = (paths: string[]) => Promise.all(paths.map(canaryState));

/**
 * The file's data and hole map (SEEK_DATA / SEEK_HOLE, through `xfs_io seek`, which works on any
 * filesystem): a discard that punched a hole shows here even where st_blocks happens to match.
 */
export async function seekMap(path: string): Promise<string> {
  const { stdout } = await execa("xfs_io", ["-r", "-c", "seek -r -a 0", path]);
  return stdout;
}

/** {@link CanaryState} plus the data/hole map. */
export interface MappedCanaryState extends CanaryState {
  map: string;
}

export const mappedCanaryStates = (paths: string[]): Promise<MappedCanaryState[]> =>
  Promise.all(paths.map(async (p) => ({ ...(await canaryState(p)), map: await seekMap(p) })));
