import { SparsifyIssueCode } from "./sparsify-issue.js";

/** Volume problems that carry their own blocker code, written `CODE: message` by the scan. */
const CODED = new Set<string>([SparsifyIssueCode.IMAGE_HARDLINKED, SparsifyIssueCode.IMAGE_NOT_REGULAR_FILE]);

/** Splits a stored `CODE: message` problem into its blocker code and message; null when uncoded. Pure. */
export function codedProblem(problem: string): { code: SparsifyIssueCode; message: string } | null {
  const match = /^([A-Z_]+): (.*)$/s.exec(problem);
  if (!match || !CODED.has(match[1]!)) return null;
  return { code: match[1] as SparsifyIssueCode, message: match[2]! };
}
