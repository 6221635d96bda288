import { DirectFallbackReason } from "../../domain/direct-method.js";
import { DirectRefusal } from "./direct-contract.js";

/** The swap header is one 4 KiB page (virt-sparsify and every x86-64/arm64 Linux assume it). */
export const SWAP_PAGE = 4096;
const SIGNATURE_OFFSET = SWAP_PAGE - 10;

/**
 * Checks a swap partition's first page, read at its absolute disk offset: the SWAPSPACE2
 * signature (never a hibernation image: S1SUSPEND, S2SUSPEND, ULSUSPEND, LINHIB0001 or a v0
 * SWAP-SPACE), version 1, and a last page inside the partition. Returns the swap's size in bytes. Pure.
 * @throws {DirectRefusal} SWAP_NOT_PLAIN, SUPERBLOCK_MISMATCH.
 */
export function checkSwapHeader(page: Buffer, partitionLength: number): number {
  if (page.length < SWAP_PAGE) {
    throw new DirectRefusal(DirectFallbackReason.SUPERBLOCK_MISMATCH, `swap header is ${page.length} bytes, not ${SWAP_PAGE}`);
  }
  const signature = page.toString("latin1", SIGNATURE_OFFSET, SWAP_PAGE);
  if (signature !== "SWAPSPACE2") {
    throw new DirectRefusal(
      DirectFallbackReason.SWAP_NOT_PLAIN,
      `swap signature is ${JSON.stringify(signature.replace(/\0+$/, ""))}, not SWAPSPACE2`,
    );
  }
  const version = page.readUInt32LE(1024);
  const lastPage = page.readUInt32LE(1028);
  if (version !== 1) throw new DirectRefusal(DirectFallbackReason.SWAP_NOT_PLAIN, `swap header version ${version}, not 1`);
  const size = (lastPage + 1) * SWAP_PAGE;
  if (lastPage === 0 || size > partitionLength) {
    throw new DirectRefusal(
      DirectFallbackReason.SUPERBLOCK_MISMATCH,
      `swap of ${lastPage + 1} pages does not fit its partition of ${partitionLength} bytes`,
    );
  }
  return size;
}
