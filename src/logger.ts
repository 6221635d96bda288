import { pino, type Logger } from "pino";

/** Structured JSON logs (one line per event) for every process. */
export function createLogger(level: string, name: string): Logger {
  return pino({ level, name, base: { pid: process.pid } });
}
