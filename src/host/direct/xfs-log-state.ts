/** What `xfs_logprint -t` found at the log's head and tail. */
export interface XfsLogState {
  tail: number;
  head: number;
  clean: boolean;
}

const STATE_LINE = /^\s*log tail: (\d+) head: (\d+) state: <(CLEAN|DIRTY)>\s*$/gm;

/**
 * Parses `xfs_logprint -t`: it finds the log's head and tail as mount does (xlog_find_tail) and
 * calls the log clean when they meet, i.e. the last record is an unmount record and nothing is
 * left to replay. Anything but exactly one such line, clean with head = tail, is dirty. Pure.
 */
export function parseXfsLogState(text: string): XfsLogState {
  const lines = [...text.matchAll(STATE_LINE)];
  if (lines.length !== 1) throw new Error(`xfs_logprint printed ${lines.length} log state lines, expected 1`);
  const [, tail, head, state] = lines[0]!;
  return { tail: Number(tail), head: Number(head), clean: state === "CLEAN" && tail === head };
}
