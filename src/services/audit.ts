import type { EntityManager } from "typeorm";
import { AuditEvent } from "../entities/index.js";

export interface AuditInput {
  type: string;
  message: string;
  actor?: string;
  diskId?: string | null;
  jobId?: string | null;
  storageDomainId?: string | null;
  data?: Record<string, unknown>;
}

/** Appends one audit event, inside the caller's transaction when given one. */
export async function recordEvent(em: EntityManager, input: AuditInput): Promise<void> {
  await em.insert(AuditEvent, {
    type: input.type,
    message: input.message,
    actor: input.actor ?? "system",
    diskId: input.diskId ?? null,
    jobId: input.jobId ?? null,
    storageDomainId: input.storageDomainId ?? null,
    data: (input.data ?? {}) as object,
  });
}
