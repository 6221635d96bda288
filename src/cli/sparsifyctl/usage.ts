/** `sparsifyctl --help`. */
export const USAGE = `sparsifyctl: the sparsify gateway from a terminal or a script

Usage:
  sparsifyctl disks [--domain NAME|ID] [--sparsifiable|--blocked] [--needs-sparsify] [--text T] [--first N] [--json]
  sparsifyctl sparsify <alias|id>... [--wait]
  sparsifyctl jobs [--state QUEUED,RUNNING,...] [--first N] [--json]
  sparsifyctl domains [list] [--json]
  sparsifyctl domains add --name NAME --path /absolute/dir
  sparsifyctl domains scan <name|id>

Connection: SPARSIFY_URL (default http://127.0.0.1:4000) and SPARSIFY_TOKEN, or
~/.config/sparsifyctl.json {"url": "...", "token": "..."}, which must be mode 600.

sparsify --wait shows one live progress bar per job. Ctrl-C stops waiting, never the jobs
(cancel a job with the cancelSparsifyJob mutation).

Exit codes: 0 all succeeded · 1 a job failed or was cancelled · 2 usage (bad arguments,
unknown or ambiguous disk) · 3 refused (blocked disk, role, token) · 4 gateway unreachable ·
130 detached with Ctrl-C.
`;
