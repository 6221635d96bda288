import { open } from "node:fs/promises";
import { DirectFallbackReason } from "../../domain/direct-method.js";
import { DirectRefusal, type PartitionView, type ProvenFreeSpace } from "./direct-contract.js";
import { checkSwapHeader, SWAP_PAGE } from "./swap-header.js";

async function readHead(path: string): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const page = Buffer.alloc(SWAP_PAGE);
    const { bytesRead } = await file.read(page, 0, SWAP_PAGE, 0);
    return page.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * A plain SWAPSPACE2 partition: every whole page after its header page is free (virt-sparsify
 * discards the same). The header is read at the absolute discard offset and through the partition's
 * window; both must be byte-identical, so the window and the discards agree on where it starts.
 * @throws {DirectRefusal} SWAP_NOT_PLAIN, SUPERBLOCK_MISMATCH.
 */
export async function proveSwapFree(view: PartitionView): Promise<ProvenFreeSpace> {
  const { start, length } = view.partition;
  const page = await view.readDisk(start, SWAP_PAGE);
  checkSwapHeader(page, length);
  if (!page.equals(await readHead(view.path))) {
    throw new DirectRefusal(
      DirectFallbackReason.SUPERBLOCK_MISMATCH,
      `the swap header at ${start} differs from the first page of ${view.path}`,
    );
  }
  const end = start + Math.floor(length / SWAP_PAGE) * SWAP_PAGE;
  return { kind: "swap", blockSize: SWAP_PAGE, ranges: [{ start: start + SWAP_PAGE, end }] };
}
