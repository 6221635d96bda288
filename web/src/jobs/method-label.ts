/** Same words as format.ts's humanise; kept here so the root typecheck (NodeNext) can import this file alone. */
const humanise = (code: string) => code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");

/** "Method: DIRECT", "Method: virt-sparsify (DIRECT not used: ext not clean)", or null before a method was chosen. */
export function methodLabel(job: { methodUsed?: string | null; fallbackReason?: string | null }): string | null {
  if (!job.methodUsed) return null;
  const method = job.methodUsed === "DIRECT" ? "DIRECT" : "virt-sparsify";
  return `Method: ${method}${job.fallbackReason ? ` (DIRECT not used: ${humanise(job.fallbackReason)})` : ""}`;
}
