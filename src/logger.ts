import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * One log line per event: readable (pino-pretty, one line each) when stdout is a terminal, JSON
 * lines otherwise (systemd's journal, files, log shippers). LOG_FORMAT=json|pretty overrides.
 */
export function createLogger(level: string, name: string, format: "auto" | "json" | "pretty" = "auto"): Logger {
  const usePretty = format === "pretty" || (format !== "json" && process.stdout.isTTY === true);
  const options = { level, name, base: { pid: process.pid } };
  if (!usePretty) return pino(options);
  // sync: a line written just before process.exit is not lost.
  return pino(
    options,
    pretty({ colorize: true, singleLine: true, sync: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" }),
  );
}
