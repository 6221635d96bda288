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
