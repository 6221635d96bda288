import { ConfigError } from "../config.js";
import { HostToolsMissingError } from "../host/tools.js";
import { InfraUnavailableError } from "../server/infra-errors.js";
import { StartupError } from "../server/startup-errors.js";

/** Errors an operator caused and can fix: printed as one line, no stack. */
const EXPECTED = [ConfigError, InfraUnavailableError, StartupError, HostToolsMissingError];

/**
 * Prints why a command could not run and exits: one line for the errors we know (a multi-line
 * configuration report is joined with "; "), the full error otherwise (a bug). Exit code 2 for
 * bad configuration or arguments, 1 for everything else.
 */
export function exitWithError(error: unknown): never {
  if (EXPECTED.some((type) => error instanceof type)) {
    const message = (error as Error).message.replace(/:\n\s+/, ": ").replace(/\n\s*/g, "; ");
    console.error(message);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  console.error(error);
  process.exit(1);
}

/** node:util parseArgs throws TypeErrors for unknown or malformed options: make them a ConfigError. */
export function argumentError(error: unknown, command: string): unknown {
  const code = (error as { code?: string }).code ?? "";
  if (code.startsWith("ERR_PARSE_ARGS"))
    return new ConfigError(`${(error as Error).message.split("\n")[0]}. See ${command} --help`);
  return error;
}
