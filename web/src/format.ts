/** Numbers, times and codes in words. Sizes use binary units, like qemu-img and oVirt. */
import type { SparsifyPhase } from "./api/types";

const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
const integer = new Intl.NumberFormat("en-US");

/** 209715200 → "200 MiB"; three significant digits at most, never rounded up to a wrong unit. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? "−" : "";
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${sign}${value} ${value === 1 ? "byte" : "bytes"}`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  const shown = Number(value.toFixed(digits));
  return `${sign}${shown} ${UNITS[unit]}`;
}

/** 209715200 → "209,715,200 bytes". */
export const exactBytes = (bytes: number) => `${integer.format(bytes)} ${Math.abs(bytes) === 1 ? "byte" : "bytes"}`;

export const formatCount = (n: number) => integer.format(n);

/** 65 000 → "1 min 05 s". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
/** "3 minutes ago", "yesterday". */
export function formatRelative(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
  return relative.format(Math.round(seconds / 86_400), "day");
}

/** "POWERING_UP" → "Powering up". */
export const humanise = (code: string) => code.charAt(0) + code.slice(1).toLowerCase().replaceAll("_", " ");

/** Every phase the schema declares: a new one fails the web build until it has words here. */
const PHASES: Record<SparsifyPhase, string> = {
  QUEUED: "Waiting for a host worker",
  CHECKING: "Checking the image",
  LAUNCHING: "Starting the appliance",
  TRIMMING: "Trimming free space",
  READING: "Reading the filesystems' free space (DIRECT)",
  DISCARDING: "Discarding proven free space (DIRECT)",
  VERIFYING: "Verifying the filesystems (DIRECT)",
  MEASURING: "Measuring the result",
  DONE: "Done",
};
export const phaseLabel = (phase: SparsifyPhase) => PHASES[phase] ?? humanise(phase);
