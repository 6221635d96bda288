import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { ClientConfig } from "./client-config.js";
import { CliError, ExitCode } from "./exit-codes.js";

/** One GraphQL error as the gateway sends it. */
export interface ApiError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

/** A request the gateway answered with errors; `code` is the first error's extensions.code. */
export class ApiRequestError extends Error {
  constructor(readonly errors: ApiError[]) {
    super(errors.map((e) => e.message).join("; "));
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** Codes that mean "you may not", not "it broke": the command exits REFUSED. */
const REFUSAL_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"]);

/** A thin GraphQL client: HTTP for queries and mutations, graphql-ws for subscriptions. */
export class ApiClient {
  private ws: Client | null = null;

  constructor(private readonly config: ClientConfig) {}

  /** Runs a query or mutation; network failures and refusals become {@link CliError}s. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.config.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.config.token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        ExitCode.UNREACHABLE,
        `Cannot reach the gateway at ${this.config.url} ` +
          `(${cause?.code ?? cause?.message ?? (e as Error).message}); is it running? (npm start)`,
      );
    }
    let body: { data?: T; errors?: ApiError[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new CliError(
        ExitCode.UNREACHABLE,
        `${this.config.url} answered HTTP ${res.status} without GraphQL: is SPARSIFY_URL the gateway?`,
      );
    }
    if (body.errors?.length) {
      const error = new ApiRequestError(body.errors);
      if (error.code && REFUSAL_CODES.has(error.code))
        throw new CliError(ExitCode.REFUSED, refusalMessage(error.code, error.message));
      throw error;
    }
    return body.data as T;
  }

  /** Streams a subscription; resolves when it completes. */
  subscribe<T>(
    query: string,
    variables: Record<string, unknown>,
    onData: (data: T) => void,
  ): { done: Promise<void>; stop: () => void } {
    this.ws ??= createClient({
      url: this.config.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.config.token}` },
      retryAttempts: 5,
      shouldRetry: (e) => !(e && typeof e === "object" && "code" in e && (e.code === 4401 || e.code === 4403)),
    });
    let stop = () => {};
    const done = new Promise<void>((resolve, reject) => {
      stop = this.ws!.subscribe<T>(
        { query, variables },
        {
          next: (v) => (v.errors?.length ? reject(new ApiRequestError(v.errors as ApiError[])) : onData(v.data as T)),
          error: (e) => reject(subscriptionError(e, this.config.url)),
          complete: () => resolve(),
        },
      );
    });
    return { done, stop: () => stop() };
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
  }
}

function refusalMessage(code: string, message: string): string {
  if (code === "UNAUTHENTICATED")
    return `The gateway refused the token (${message}); create one with npm run token:create -- --role operator`;
  return `${message} (${code})`;
}

/** graphql-ws reports close events and socket errors; turn them into words and exit codes. */
function subscriptionError(e: unknown, url: string): Error {
  if (e && typeof e === "object" && "code" in e && typeof e.code === "number") {
    if (e.code === 4401)
      return new CliError(ExitCode.REFUSED, "The gateway closed the subscription: the token is unknown, revoked or expired");
    if (e.code === 4403) return new CliError(ExitCode.REFUSED, "The gateway refused the subscription (forbidden)");
    return new CliError(
      ExitCode.UNREACHABLE,
      `The subscription to ${url} closed (${e.code}${"reason" in e && e.reason ? `: ${String(e.reason)}` : ""})`,
    );
  }
  if (Array.isArray(e)) return new ApiRequestError(e as ApiError[]);
  return new CliError(ExitCode.UNREACHABLE, `Lost the subscription to ${url}: ${e instanceof Error ? e.message : String(e)}`);
}
