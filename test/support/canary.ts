import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/** What must not change about a file outside the storage roots: its bytes and its allocation. */
export interface CanaryState {
  sha256: string;
  size: number;
  /** st_blocks: a trim that punches holes changes it even when a hash of zeros would not. */
  blocks: number;
  mtimeMs: number;
}

export async function canaryState(file: string): Promise<CanaryState> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const st = await stat(file);
  return { sha256: hash.digest("hex"), size: st.size, blocks: st.blocks, mtimeMs: st.mtimeMs };
}
