import { detectFormats, type Sample } from "./format-magic.js";
import type { ExpectedFormat } from "./expected-format.js";
import { ImageRefusal } from "./image-refusal.js";
import { InspectionCode } from "./inspection-code.js";
import { parseQcow2Header } from "./qcow2-header.js";
import { checkQcow2 } from "./qcow2-rules.js";

/** What the inspector found in a file it accepts. */
export interface Inspection {
  format: ExpectedFormat;
  /** qcow2: the backing file exactly as the header names it; the caller checks it against the chain. */
  backing: { name: string; format: string | null } | null;
  /** qcow2: the virtual size from the header. */
  virtualSize: bigint | null;
  clusterSize: number | null;
}

/**
 * qemu treats "proto:rest" (a colon before any slash) and "json:{…}" as protocols, not files:
 * such a backing name could reach the network or any file, so it is never in a chain.
 */
export function backingIsProtocol(name: string): boolean {
  const colon = name.indexOf(":");
  const slash = name.indexOf("/");
  return colon >= 0 && (slash < 0 || colon < slash);
}

/**
 * Decides from a file's first and last bytes whether it may be handed to qemu as `expected`.
 * Pure: no I/O, reads nothing beyond `sample`.
 * @throws {ImageRefusal} and nothing else.
 */
export function inspectBytes(sample: Sample, expected: ExpectedFormat): Inspection {
  const found = detectFormats(sample);
  if (expected === "raw") {
    if (found.length)
      throw new ImageRefusal(InspectionCode.FORMAT_MISMATCH, `the file is named as raw but holds a ${found.join("/")} image`);
    return { format: "raw", backing: null, virtualSize: null, clusterSize: null };
  }
  if (!found.includes("qcow2")) {
    const what = found.filter((f) => f !== "vpc" && f !== "dmg"); // footers at the end may be guest data
    throw new ImageRefusal(
      InspectionCode.FORMAT_MISMATCH,
      `the file is named as qcow2 but holds ${what.length ? `a ${what.join("/")} image` : "no qcow2 header"}`,
    );
  }
  const header = parseQcow2Header(sample.head);
  checkQcow2(header, sample.size);
  if (header.backingFile !== null && backingIsProtocol(header.backingFile)) {
    throw new ImageRefusal(
      InspectionCode.BACKING_OUTSIDE_CHAIN,
      `the backing file ${JSON.stringify(header.backingFile)} is a protocol or json: name, not a file of the storage domain`,
    );
  }
  return {
    format: "qcow2",
    backing: header.backingFile === null ? null : { name: header.backingFile, format: header.backingFormat },
    virtualSize: header.size,
    clusterSize: 2 ** header.clusterBits,
  };
}
