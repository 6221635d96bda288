import { stat, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError, ExitCode } from "./exit-codes.js";

/** Where the gateway is and who we are. */
export interface ClientConfig {
  /** GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  token: string;
  /** Where the settings came from, for messages. */
  source: string;
}

/** `~/.config/sparsifyctl.json` (or under $XDG_CONFIG_HOME). */
export function configFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "sparsifyctl.json");
}

/** Accepts the gateway's base URL or its /graphql endpoint. */
export function graphqlEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(ExitCode.USAGE, `SPARSIFY_URL is not a URL: ${raw} (e.g. http://127.0.0.1:4000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new CliError(ExitCode.USAGE, `SPARSIFY_URL must be http:// or https://, not ${url.protocol}`);
  if (!url.pathname.replace(/\/+$/, "").endsWith("/graphql")) url.pathname = `${url.pathname.replace(/\/+$/, "")}/graphql`;
  return url.toString();
}

/**
 * SPARSIFY_URL and SPARSIFY_TOKEN win; otherwise the config file, which holds a secret and so
 * must be readable by its owner only (mode 0600), like ssh refuses a world-readable key.
 */
export async function loadClientConfig(env: NodeJS.ProcessEnv = process.env): Promise<ClientConfig> {
  const file = configFilePath(env);
  let fromFile: { url?: unknown; token?: unknown } = {};
  if (!env.SPARSIFY_URL || !env.SPARSIFY_TOKEN) {
    const info = await stat(file).catch(() => null);
    if (info) {
      if ((info.mode & 0o077) !== 0) {
        throw new CliError(
          ExitCode.USAGE,
          `${file} holds a token and must be private: chmod 600 ${file} (its mode is ${(info.mode & 0o777).toString(8)})`,
        );
      }
      try {
        fromFile = JSON.parse(await readFile(file, "utf8")) as typeof fromFile;
      } catch (e) {
        throw new CliError(ExitCode.USAGE, `${file} is not valid JSON: ${(e as Error).message}`);
      }
    }
  }
  const url = env.SPARSIFY_URL || (typeof fromFile.url === "string" ? fromFile.url : "") || "http://127.0.0.1:4000";
  const token = env.SPARSIFY_TOKEN || (typeof fromFile.token === "string" ? fromFile.token : "");
  if (!token) {
    throw new CliError(
      ExitCode.USAGE,
      `No API token: set SPARSIFY_TOKEN, or write {"url": "...", "token": "..."} to ${file} (mode 600)`,
    );
  }
  return { url: graphqlEndpoint(url), token, source: env.SPARSIFY_TOKEN ? "environment" : file };
}
