/** Which pipe a line came from. */
export type OutputStream = "stdout" | "stderr";

/**
 * `json`: a `--machine-readable` JSON message; `text`: the human line printed alongside it.
 * With `--machine-readable=stream:stderr` every message arrives twice, once of each.
 */
export type EventSource = "json" | "text";

/** One line of `virt-sparsify --in-place --machine-readable=stream:stderr`, interpreted. */
export type SparsifyOutputEvent =
  /** Appliance launch step `N/M` (stdout); the only progress virt-sparsify reports. */
  | { kind: "launch"; step: number; total: number }
  | { kind: "trimming"; device: string; source: EventSource }
  | { kind: "swap-cleared"; device: string; source: EventSource }
  /** Printed even when nothing was trimmed (no filesystem, wrong `--format raw`): docs/virt-sparsify.md §9.2. */
  | { kind: "completed"; source: EventSource }
  | { kind: "warning"; message: string; source: EventSource }
  | { kind: "error"; message: string; source: EventSource }
  /** Plain text even in machine-readable mode, so it only ever has a text source. */
  | { kind: "signal"; signal: string }
  | { kind: "other"; text: string };

const LAUNCH = /^(\d+)\/(\d+)$/;
// "[  14.1] Trimming /dev/sda": seconds since start, then the message.
const TIMESTAMPED = /^\[\s*\d+(?:\.\d+)?\]\s+(.*)$/;
const TOOL_ERROR = /^virt-sparsify: error: (.*)$/;
const TOOL_WARNING = /^virt-sparsify: warning: (.*)$/;
const SIGNAL = /^virt-sparsify: Exiting on signal (SIG[A-Z0-9]+)/;
// On a tty messages are coloured; we run on pipes, but a wrapper script might not.
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function fromMessage(message: string, source: EventSource): SparsifyOutputEvent | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^Trimming (\S+)/.exec(message))) return { kind: "trimming", device: m[1]!, source };
  if ((m = /^Clearing Linux swap on (\S+)/.exec(message))) return { kind: "swap-cleared", device: m[1]!, source };
  if (/^Sparsify in-place operation completed with no errors/.test(message)) return { kind: "completed", source };
  return undefined;
}

function parseJsonLine(line: string): SparsifyOutputEvent | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null) return undefined;
  const { message, type } = o as { message?: unknown; type?: unknown };
  if (typeof message !== "string") return undefined;
  if (type === "error") return { kind: "error", message, source: "json" };
  if (type === "warning") return { kind: "warning", message, source: "json" };
  return fromMessage(message, "json") ?? { kind: "other", text: message };
}

/**
 * Interprets one output line. Pure; never throws. Unknown lines become `{ kind: "other" }`,
 * including the continuation lines of a multi-line human error (the JSON error has them all).
 */
export function parseSparsifyLine(line: string, stream: OutputStream): SparsifyOutputEvent {
  const text = line.replace(ANSI, "").trimEnd();
  let m: RegExpExecArray | null;
  if (stream === "stdout" && (m = LAUNCH.exec(text))) {
    return { kind: "launch", step: Number(m[1]), total: Number(m[2]) };
  }
  if (text.startsWith("{")) {
    const event = parseJsonLine(text);
    if (event) return event;
  }
  if ((m = SIGNAL.exec(text))) return { kind: "signal", signal: m[1]! };
  if ((m = TOOL_ERROR.exec(text))) return { kind: "error", message: m[1]!, source: "text" };
  if ((m = TOOL_WARNING.exec(text))) return { kind: "warning", message: m[1]!, source: "text" };
  const message = (m = TIMESTAMPED.exec(text)) ? m[1]! : text;
  return fromMessage(message, "text") ?? { kind: "other", text };
}

/**
 * A key that is equal for the JSON and text copies of the same message, for callers that
 * want each message once (`trimming:/dev/sda`). Errors key on their first line, because the
 * text copy of a multi-line error only carries its first line.
 */
export function eventKey(event: SparsifyOutputEvent): string {
  switch (event.kind) {
    case "launch":
      return `launch:${event.step}/${event.total}`;
    case "trimming":
    case "swap-cleared":
      return `${event.kind}:${event.device}`;
    case "completed":
      return "completed";
    case "warning":
    case "error":
      return `${event.kind}:${event.message.split("\n")[0]}`;
    case "signal":
      return `signal:${event.signal}`;
    case "other":
      return `other:${event.text}`;
  }
}
