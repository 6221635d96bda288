import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "./generated/graphql";
import { ApiError, HTTP, NETWORK } from "./errors";

/** The gateway's WebSocket close codes that retrying cannot fix. */
export enum GatewayCloseCode {
  /** Token missing, unknown, revoked or expired. */
  Unauthorized = 4401,
  /** The page's Origin is not allowed. */
  Forbidden = 4403,
}

/** idle: no subscription needs the socket; reconnecting: it was lost and is being re-opened. */
export type LiveStatus = "idle" | "connecting" | "live" | "reconnecting";

export interface Sink<T> {
  next(value: T): void;
  error?(error: ApiError): void;
  complete?(): void;
}

interface GraphQLErrorJson {
  message: string;
  extensions?: Record<string, unknown>;
}

const toApiError = (errors: readonly GraphQLErrorJson[]): ApiError => {
  const first = errors[0] ?? { message: "Unknown error" };
  return new ApiError(String(first.extensions?.code ?? "UNKNOWN"), first.message, first.extensions ?? {});
};

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === "object" && value !== null && "code" in value && "reason" in value;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a ping may wait for its pong before the socket counts as dead (a cut link stays "open"). */
const PONG_TIMEOUT_MS = 5_000;

/** Variables then an abort signal; both optional when the operation takes no variables. */
type VariablesOf<V> =
  V extends Record<string, never> ? [variables?: V, signal?: AbortSignal] : [variables: V, signal?: AbortSignal];

/** Options of {@link Api}. */
export interface ApiOptions {
  /** Called once when the gateway no longer accepts the token (HTTP UNAUTHENTICATED or WS 4401). */
  onAuthLost?: (message: string) => void;
  /** @default "/graphql" on the page's own origin */
  endpoint?: string;
  /** Interval of graphql-ws pings that detect a dead link. @default 10000 */
  keepAliveMs?: number;
}

/**
 * One signed-in connection to the gateway: queries and mutations over HTTP POST (JSON, so the
 * gateway's CSRF check passes), subscriptions over graphql-ws on the same path. A lost socket is
 * re-opened forever with backoff and its subscriptions resubscribed; `onReconnect` listeners
 * refetch what a stream may have missed meanwhile.
 */
export class Api {
  private readonly endpoint: string;
  private readonly ws: Client;
  private status: LiveStatus = "idle";
  private readonly statusListeners = new Set<(status: LiveStatus) => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private authLost = false;

  constructor(
    private readonly token: string,
    private readonly opts: ApiOptions = {},
  ) {
    this.endpoint = opts.endpoint ?? "/graphql";
    const url = new URL(this.endpoint, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let pongTimer: ReturnType<typeof setTimeout> | undefined;
    this.ws = createClient({
      url: url.toString(),
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: true,
      lazyCloseTimeout: 2_000,
      keepAlive: opts.keepAliveMs ?? 10_000,
      retryAttempts: Infinity,
      // Browsers report a refused connection as a CloseEvent (1006); anything else is retried too,
      // except what a new attempt cannot fix.
      shouldRetry: (event) =>
        !(isCloseEvent(event) && (event.code === GatewayCloseCode.Unauthorized || event.code === GatewayCloseCode.Forbidden)),
      retryWait: (retries) => sleep(Math.min(300 * 2 ** retries, 8_000) * (0.75 + Math.random() / 2)),
      on: {
        connecting: (isRetry) => this.setStatus(isRetry ? "reconnecting" : "connecting"),
        connected: (_socket, _payload, wasRetry) => {
          this.setStatus("live");
          if (wasRetry) for (const listener of this.reconnectListeners) listener();
        },
        closed: (event) => {
          clearTimeout(pongTimer);
          const code = isCloseEvent(event) ? event.code : 0;
          if (code === GatewayCloseCode.Unauthorized)
            this.loseAuth(isCloseEvent(event) && event.reason ? event.reason : "The API token is no longer valid");
          // 1000: closed on purpose (no subscription left); 44xx: no retry will follow.
          this.setStatus(
            code === 1000 || code === GatewayCloseCode.Unauthorized || code === GatewayCloseCode.Forbidden
              ? "idle"
              : "reconnecting",
          );
        },
        ping: (received) => {
          if (!received) pongTimer = setTimeout(() => this.ws.terminate(), PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
      },
    });
  }

  /**
   * Sends a query or mutation (a generated document: result and variables are typed by it);
   * rejects with an {@link ApiError} carrying the gateway's code.
   */
  async request<T, V>(document: TypedDocumentString<T, V>, ...[variables, signal]: VariablesOf<V>): Promise<T> {
    const query = document.toString();
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ query, variables }),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(NETWORK, (error as Error).message);
    }
    let body: { data?: T | null; errors?: GraphQLErrorJson[] };
    try {
      body = await response.json();
    } catch {
      throw new ApiError(HTTP, `${response.status} ${response.statusText}`.trim());
    }
    if (body.errors?.length) {
      const error = toApiError(body.errors);
      if (error.code === "UNAUTHENTICATED") this.loseAuth(error.message);
      throw error;
    }
    if (!response.ok || !body.data) throw new ApiError(HTTP, `${response.status} ${response.statusText}`.trim());
    return body.data;
  }

  /** Subscribes over the WebSocket; returns the unsubscribe function. */
  subscribe<T, V>(document: TypedDocumentString<T, V>, variables: V, sink: Sink<T>): () => void {
    return this.ws.subscribe<T>(
      { query: document.toString(), variables: variables as Record<string, unknown> },
      {
        next: (result) => {
          if (result.errors?.length) sink.error?.(toApiError(result.errors as GraphQLErrorJson[]));
          else if (result.data) sink.next(result.data as T);
        },
        error: (error) => {
          if (Array.isArray(error)) return sink.error?.(toApiError(error as GraphQLErrorJson[]));
          if (isCloseEvent(error) && error.code === GatewayCloseCode.Unauthorized)
            return sink.error?.(new ApiError("UNAUTHENTICATED", error.reason || "The API token is no longer valid"));
          if (isCloseEvent(error))
            return sink.error?.(
              new ApiError(NETWORK, `WebSocket closed (${error.code}${error.reason ? `: ${error.reason}` : ""})`),
            );
          sink.error?.(new ApiError(NETWORK, error instanceof Error ? error.message : String(error)));
        },
        complete: () => sink.complete?.(),
      },
    );
  }

  get liveStatus(): LiveStatus {
    return this.status;
  }

  onStatus(listener: (status: LiveStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Called after the WebSocket came back: refetch what a stream may have missed. */
  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  dispose(): void {
    this.authLost = true;
    this.statusListeners.clear();
    this.reconnectListeners.clear();
    void this.ws.dispose();
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private loseAuth(message: string): void {
    if (this.authLost) return;
    this.authLost = true;
    this.opts.onAuthLost?.(message);
  }
}
