import { createConnection, type Socket } from "node:net";

/** qemu answered a QMP command with an error (its class and description). */
export class QmpError extends Error {
  override readonly name = "QmpError";
}

/**
 * A minimal QMP client over a unix socket: one command at a time, each answered by `return` or
 * `error` (asynchronous `event` lines are skipped). Only what the DIRECT run needs: add read-only
 * windows and their exports to a running qemu-storage-daemon.
 */
export class QmpClient {
  private buffer = "";
  private waiting: ((line: Record<string, unknown>) => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        if ("event" in message || "QMP" in message) continue;
        const resolve = this.waiting;
        this.waiting = null;
        resolve?.(message);
      }
    });
    const fail = (error: Error) => {
      this.failure = error;
      this.waiting?.({ error: { class: "Disconnected", desc: error.message } });
      this.waiting = null;
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("QMP connection closed")));
  }

  /** Connects and leaves capabilities negotiation mode. */
  static async connect(path: string): Promise<QmpClient> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new QmpClient(socket);
    await client.execute("qmp_capabilities");
    return client;
  }

  /** Runs one command; resolves with its `return` value. @throws {QmpError} */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.failure) throw new QmpError(this.failure.message);
    if (this.waiting) throw new Error("QmpClient: one command at a time");
    const answer = new Promise<Record<string, unknown>>((resolve) => (this.waiting = resolve));
    this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const message = await answer;
    if (message.error) {
      const { class: cls, desc } = message.error as { class: string; desc: string };
      throw new QmpError(`${command}: ${cls}: ${desc}`);
    }
    return message.return;
  }

  close(): void {
    this.socket.destroy();
  }
}
