import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Disk, DiskOrder, Job, OrderDirection, OrderField } from "../api/types";
import { useJobEvents } from "../jobs/use-job-events";
import { useWatchedJobs } from "../jobs/watched-jobs";
import { useSearchParams } from "../router";
import { useSession } from "../session";
import { ErrorAlert } from "../ui/error-alert";
import { plural } from "./disk-labels";
import { DiskFilters, PAGE_SIZES, type FilterValues, type SparsifiableFilter } from "./disk-filters";
import { DiskTable } from "./disk-table";
import { Pager } from "./pager";
import { SparsifyDialog } from "./sparsify-dialog";
import { useDiskPage } from "./use-disk-page";
import { useStorageDomains } from "./use-storage-domains";

const FIELDS: OrderField[] = ["ALIAS", "ACTUAL_SIZE", "VIRTUAL_SIZE", "RECLAIMABLE"];
/** Job state changes move a disk (LOCKED, new actual size): refetch, but once per burst of events. */
const REFRESH_DELAY_MS = 400;

/** Filters, sort and page size live in the URL, so a view can be bookmarked or shared. */
function useDiskView() {
  const [params, setParams] = useSearchParams();
  const field = FIELDS.includes(params.get("sort") as OrderField) ? (params.get("sort") as OrderField) : "ACTUAL_SIZE";
  const direction: OrderDirection =
    params.get("dir") === "ASC" || params.get("dir") === "DESC"
      ? (params.get("dir") as OrderDirection)
      : field === "ALIAS"
        ? "ASC"
        : "DESC";
  const size = Number(params.get("size"));
  const values: FilterValues = {
    text: params.get("q") ?? "",
    domain: params.get("domain") ?? "",
    sparsifiable: (["yes", "no"].includes(params.get("sparsifiable") ?? "")
      ? params.get("sparsifiable")
      : "") as SparsifiableFilter,
    needsSparsify: params.get("needs") === "1",
    pageSize: (PAGE_SIZES as readonly number[]).includes(size) ? size : 50,
  };
  const setValues = useCallback(
    (next: Partial<FilterValues>) =>
      setParams({
        ...("text" in next ? { q: next.text?.trim() } : {}),
        ...("domain" in next ? { domain: next.domain } : {}),
        ...("sparsifiable" in next ? { sparsifiable: next.sparsifiable } : {}),
        ...("needsSparsify" in next ? { needs: next.needsSparsify ? "1" : undefined } : {}),
        ...("pageSize" in next ? { size: String(next.pageSize) } : {}),
      }),
    [setParams],
  );
  const setOrder = useCallback((o: DiskOrder) => setParams({ sort: o.field, dir: o.direction }), [setParams]);
  return { values, order: { field, direction } as DiskOrder, setValues, setOrder };
}

export function DisksPage() {
  const { api, canSparsify, me } = useSession();
  const { watch } = useWatchedJobs();
  const { values, order, setValues, setOrder } = useDiskView();
  const domains = useStorageDomains(api);
  const { text, domain, sparsifiable, needsSparsify, pageSize } = values;
  const query = useMemo(
    () => ({
      filter: {
        ...(domain ? { storageDomainId: domain } : {}),
        ...(sparsifiable ? { sparsifiable: sparsifiable === "yes" } : {}),
        ...(needsSparsify ? { needsSparsify: true } : {}),
        ...(text ? { text } : {}),
      },
      orderBy: { field: order.field, direction: order.direction },
      pageSize,
    }),
    [domain, sparsifiable, needsSparsify, text, order.field, order.direction, pageSize],
  );
  const page = useDiskPage(api, query);
  const disks = page.data?.edges.map((e) => e.node) ?? [];

  const [selected, setSelected] = useState<ReadonlyMap<string, Disk>>(new Map());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<Disk[] | null>(null);
  const [liveJobs, setLiveJobs] = useState<ReadonlyMap<string, Job>>(new Map());

  // Selected disks follow the refetched rows, so the dialog shows current sizes and warnings.
  useEffect(() => {
    if (!page.data) return;
    setSelected((current) => {
      let changed = false;
      const next = new Map(current);
      for (const disk of disks) {
        if (!next.has(disk.id)) continue;
        changed = true;
        if (disk.sparsifiable) next.set(disk.id, disk);
        else next.delete(disk.id);
      }
      return changed ? next : current;
    });
    // Only a new page matters here; `disks` is derived from it.
  }, [page.data]);

  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const { refresh } = page;
  const refreshSoon = useCallback(() => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(refresh, REFRESH_DELAY_MS);
  }, [refresh]);
  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  const live = useRef(new Map<string, Job>());
  useJobEvents(
    api,
    (job) => {
      if (!job.disk) return;
      const before = live.current.get(job.disk.id);
      live.current.set(job.disk.id, job);
      setLiveJobs(new Map(live.current));
      if (!before || before.id !== job.id || before.state !== job.state) refreshSoon();
    },
    refresh,
  );

  const select = useCallback((disk: Disk, on: boolean) => {
    setSelected((current) => {
      const next = new Map(current);
      if (on) next.set(disk.id, disk);
      else next.delete(disk.id);
      return next;
    });
  }, []);
  const selectPage = (on: boolean) =>
    setSelected((current) => {
      const next = new Map(current);
      for (const disk of disks) if (disk.sparsifiable) on ? next.set(disk.id, disk) : next.delete(disk.id);
      return next;
    });
  const toggle = useCallback((disk: Disk) => {
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(disk.id)) next.add(disk.id);
      return next;
    });
  }, []);

  const filtered = !!(text || domain || sparsifiable || needsSparsify);
  const emptyMessage = filtered
    ? "No disk matches these filters."
    : "No disks yet: an administrator adds a storage domain (addStorageDomain) and scans it; its disks then appear here.";

  return (
    <section className="page" aria-labelledby="disks-title">
      <div className="page-head">
        <h1 id="disks-title">Disks</h1>
        {canSparsify ? (
          <div className="page-actions">
            <span className="muted" id="selection-hint" aria-live="polite">
              {selected.size ? `${plural(selected.size, "disk")} selected` : "Select sparsifiable disks, then Sparsify."}
            </span>
            {selected.size > 0 && (
              <button type="button" className="button button-quiet" onClick={() => setSelected(new Map())}>
                Clear selection
              </button>
            )}
            <button
              type="button"
              className="button button-primary"
              disabled={selected.size === 0}
              aria-describedby="selection-hint"
              onClick={() => setConfirming([...selected.values()])}
            >
              Sparsify{selected.size ? ` ${plural(selected.size, "disk")}` : ""}…
            </button>
          </div>
        ) : (
          <p className="muted">
            Your token ({me.name}) is a viewer: you can look and follow jobs; sparsifying needs an operator or admin token.
          </p>
        )}
      </div>
      <DiskFilters values={values} domains={domains} onChange={setValues} />
      {page.error && <ErrorAlert title="Could not load the disks." error={page.error} onRetry={page.refresh} />}
      <DiskTable
        disks={disks}
        order={order}
        onSort={setOrder}
        loading={page.loading}
        selectable={canSparsify}
        selected={selected}
        onSelect={select}
        onSelectPage={selectPage}
        expanded={expanded}
        onToggle={toggle}
        onSparsify={(disk) => setConfirming([disk])}
        liveJobs={liveJobs}
        emptyMessage={page.data ? emptyMessage : "Loading disks…"}
      />
      {page.data && (
        <Pager
          pageIndex={page.pageIndex}
          pageSize={pageSize}
          shown={disks.length}
          total={page.data.totalCount}
          hasNext={page.data.pageInfo.hasNextPage}
          onFirst={page.first}
          onPrevious={page.previous}
          onNext={page.next}
        />
      )}
      {confirming && (
        <SparsifyDialog
          disks={confirming}
          onClose={() => setConfirming(null)}
          onStarted={(jobs) => {
            watch(jobs);
            setSelected((current) => {
              const next = new Map(current);
              for (const job of jobs) if (job.disk) next.delete(job.disk.id);
              return next;
            });
            refresh();
          }}
        />
      )}
    </section>
  );
}
