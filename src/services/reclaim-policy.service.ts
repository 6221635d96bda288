import type { EntityManager } from "typeorm";
import type { Config } from "../config.js";
import { effectivePolicy, needsSparsify, type ReclaimPolicy } from "../domain/needs-sparsify.js";
import { Disk, StorageDomain } from "../entities/index.js";

export const globalPolicy = (config: Config): ReclaimPolicy => ({
  minReclaimableBytes: config.NEEDS_SPARSIFY_MIN_BYTES,
  minReclaimableRatio: config.NEEDS_SPARSIFY_MIN_RATIO,
});

/**
 * Recomputes the stored needsSparsify flag of a domain's disks (estimates or the policy changed),
 * so `disks(filter: { needsSparsify: true })` stays one SQL query. One UPDATE per call.
 */
export async function refreshNeedsSparsify(
  em: EntityManager,
  config: Config,
  storageDomainId: string,
  diskIds?: string[],
): Promise<void> {
  const domain = await em.findOneBy(StorageDomain, { id: storageDomainId });
  if (!domain) return;
  const policy = effectivePolicy(domain, globalPolicy(config));
  const qb = em
    .createQueryBuilder(Disk, "d")
    .select(["d.id", "d.reclaimableEstimate", "d.actualSize", "d.needsSparsify"])
    .where('d."storageDomainId" = :id', { id: storageDomainId });
  if (diskIds) qb.andWhere("d.id IN (:...ids)", { ids: diskIds.length ? diskIds : ["00000000-0000-0000-0000-000000000000"] });
  const rows = (await qb.getMany())
    .map((d) => ({ id: d.id, needs: needsSparsify(d, policy), was: d.needsSparsify }))
    .filter((r) => r.needs !== r.was);
  if (rows.length === 0) return;
  await em.query(
    `UPDATE disk d SET "needsSparsify" = x.needs FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, needs boolean) WHERE d.id = x.id`,
    [JSON.stringify(rows)],
  );
}
