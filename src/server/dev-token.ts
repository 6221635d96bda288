import fs from "node:fs/promises";
import path from "node:path";
import { Role } from "../domain/roles.js";
import type { TokenService } from "../services/token.service.js";

/** How long a development token lives. */
export const DEV_TOKEN_DAYS = 7;
/** A stored token closer than this to its expiry is replaced, so a session is not cut mid-day. */
const MIN_REMAINING_MS = 86_400_000;
/** Marks the tokens `npm start` made, in `createdBy` and the audit trail. */
export const DEV_TOKEN_ACTOR = "npm-start";

export interface DevelopmentToken {
  secret: string;
  expiresAt: Date | null;
  /** True when the stored token was still valid and is used again. */
  reused: boolean;
}

/**
 * The development admin token: the one stored in `file` while it is valid (so browser sessions,
 * GraphiQL tabs and scripts survive restarts, and a second instance breaks nobody), else a new one
 * written there readable by its owner only. Never revokes anything.
 */
export async function developmentToken(tokens: TokenService, file: string): Promise<DevelopmentToken> {
  const stored = await readStored(file);
  if (stored) {
    const principal = await tokens.verify(stored);
    const remaining = principal?.expiresAt ? principal.expiresAt.getTime() - Date.now() : Infinity;
    if (principal && principal.role === Role.ADMIN && remaining > MIN_REMAINING_MS) {
      await fs.chmod(file, 0o600); // an owner may have loosened it; the secret is an admin's
      return { secret: stored, expiresAt: principal.expiresAt, reused: true };
    }
  }
  const expiresAt = new Date(Date.now() + DEV_TOKEN_DAYS * 86_400_000);
  const { secret } = await tokens.create(
    { name: `dev-admin-${Date.now().toString(36)}`, role: Role.ADMIN, expiresAt },
    DEV_TOKEN_ACTOR,
  );
  await writePrivate(file, `${secret}\n`);
  return { secret, expiresAt, reused: false };
}

/** The stored secret, or null when there is none (or the path is not a plain file: replaced). */
async function readStored(file: string): Promise<string | null> {
  try {
    const st = await fs.lstat(file);
    if (!st.isFile() || st.size > 1024) return null;
    return (await fs.readFile(file, "utf8")).trim() || null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Written beside the target with mode 0600 from the start, then renamed over it (never followed). */
async function writePrivate(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.rm(tmp, { force: true }); // left by a crash of a process that had our pid
  const handle = await fs.open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(content);
    await handle.chmod(0o600); // the umask cannot widen it, but make it explicit
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}
