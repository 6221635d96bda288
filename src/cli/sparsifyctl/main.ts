import { parseArgs } from "node:util";
import { ApiClient, ApiRequestError } from "./api-client.js";
import { loadClientConfig } from "./client-config.js";
import { disksCommand } from "./commands/disks.command.js";
import { domainsCommand } from "./commands/domains.command.js";
import { jobsCommand } from "./commands/jobs.command.js";
import { sparsifyCommand } from "./commands/sparsify.command.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { USAGE } from "./usage.js";

/** Gateway codes that mean the request itself was wrong, not refused. */
const USAGE_CODES = new Set(["BAD_USER_INPUT", "STORAGE_PATH_INVALID", "NOT_FOUND", "GRAPHQL_VALIDATION_FAILED"]);

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  wait: { type: "boolean", short: "w" },
  domain: { type: "string" },
  sparsifiable: { type: "boolean" },
  blocked: { type: "boolean" },
  "needs-sparsify": { type: "boolean" },
  text: { type: "string" },
  first: { type: "string" },
  state: { type: "string" },
  name: { type: "string" },
  path: { type: "string" },
} as const;

async function run(argv: string[], interrupt: AbortSignal): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliError(ExitCode.USAGE, `${(e as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || !command || command === "help") {
    process.stdout.write(USAGE);
    return command || values.help ? ExitCode.OK : ExitCode.USAGE;
  }
  if (values.first !== undefined && !(Number.isInteger(Number(values.first)) && Number(values.first) > 0)) {
    throw new CliError(ExitCode.USAGE, `--first must be a positive whole number, not ${values.first}`);
  }
  const api = new ApiClient(await loadClientConfig());
  try {
    switch (command) {
      case "disks":
        return await disksCommand(api, values, process.stdout);
      case "sparsify":
        return await sparsifyCommand(api, args, values, { out: process.stdout, err: process.stderr, interrupt });
      case "jobs":
        return await jobsCommand(api, values, process.stdout);
      case "domains":
        return await domainsCommand(api, args, values, process.stdout);
      default:
        throw new CliError(ExitCode.USAGE, `Unknown command ${command}\n\n${USAGE}`);
    }
  } finally {
    await api.close();
  }
}

const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());

run(process.argv.slice(2), interrupt.signal).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`sparsifyctl: ${error.message}\n`);
      process.exit(error.exitCode);
    }
    if (error instanceof ApiRequestError) {
      process.stderr.write(`sparsifyctl: ${error.message} (${error.code ?? "ERROR"})\n`);
      process.exit(error.code && USAGE_CODES.has(error.code) ? ExitCode.USAGE : ExitCode.REFUSED);
    }
    process.stderr.write(`sparsifyctl: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(ExitCode.JOB_FAILED);
  },
);
