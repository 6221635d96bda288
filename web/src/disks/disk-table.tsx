import type { Disk, DiskOrder, Job, OrderField } from "../api/types";
import { DiskRow } from "./disk-row";

const SORTABLE: Record<OrderField, string> = {
  ALIAS: "alias",
  VIRTUAL_SIZE: "virtual size",
  ACTUAL_SIZE: "actual size",
  RECLAIMABLE: "estimated reclaimable bytes",
};

function SortHeader({
  field,
  label,
  order,
  onSort,
  className,
}: {
  field: OrderField;
  label: string;
  order: DiskOrder;
  onSort: (o: DiskOrder) => void;
  className?: string;
}) {
  const active = order.field === field;
  const nextDirection = active && order.direction === "ASC" ? "DESC" : active ? "ASC" : field === "ALIAS" ? "ASC" : "DESC";
  return (
    <th scope="col" className={className} aria-sort={active ? (order.direction === "ASC" ? "ascending" : "descending") : "none"}>
      <button type="button" className="sort-button" onClick={() => onSort({ field, direction: nextDirection })}>
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (order.direction === "ASC" ? "▲" : "▼") : "↕"}
        </span>
        <span className="visually-hidden">
          , sort by {SORTABLE[field]} {nextDirection === "ASC" ? "ascending" : "descending"}
        </span>
      </button>
    </th>
  );
}

export interface DiskTableProps {
  disks: Disk[];
  order: DiskOrder;
  onSort: (order: DiskOrder) => void;
  loading: boolean;
  selectable: boolean;
  selected: ReadonlyMap<string, Disk>;
  onSelect: (disk: Disk, on: boolean) => void;
  onSelectPage: (on: boolean) => void;
  expanded: ReadonlySet<string>;
  onToggle: (disk: Disk) => void;
  onSparsify: (disk: Disk) => void;
  liveJobs: ReadonlyMap<string, Job>;
  emptyMessage: string;
}

export function DiskTable(p: DiskTableProps) {
  const eligible = p.disks.filter((d) => d.sparsifiable);
  const selectedHere = eligible.filter((d) => p.selected.has(d.id)).length;
  // Only gateways with reclaim estimates send the field (see fetch-disks.ts).
  const estimates = p.disks.some((d) => "reclaimableEstimate" in d);
  const columns = 9 + (p.selectable ? 1 : 0) + (estimates ? 1 : 0);
  return (
    <div className="table-wrap" aria-busy={p.loading}>
      <table className="disks">
        <caption className="visually-hidden">
          Disks, sorted by {SORTABLE[p.order.field]} {p.order.direction === "ASC" ? "ascending" : "descending"}
        </caption>
        <thead>
          <tr>
            {p.selectable && (
              <th scope="col" className="col-select">
                <input
                  type="checkbox"
                  aria-label="Select every sparsifiable disk on this page"
                  disabled={eligible.length === 0}
                  checked={eligible.length > 0 && selectedHere === eligible.length}
                  ref={(el) => {
                    if (el) el.indeterminate = selectedHere > 0 && selectedHere < eligible.length;
                  }}
                  onChange={(e) => p.onSelectPage(e.target.checked)}
                />
              </th>
            )}
            <SortHeader field="ALIAS" label="Alias" order={p.order} onSort={p.onSort} />
            <th scope="col">VM</th>
            <th scope="col">Storage domain</th>
            <th scope="col">Format</th>
            <SortHeader field="VIRTUAL_SIZE" label="Virtual size" order={p.order} onSort={p.onSort} className="num" />
            <SortHeader field="ACTUAL_SIZE" label="Actual size" order={p.order} onSort={p.onSort} className="num" />
            <th scope="col">Actual / virtual</th>
            {estimates && (
              <SortHeader field="RECLAIMABLE" label="Reclaimable" order={p.order} onSort={p.onSort} className="num" />
            )}
            <th scope="col">Status</th>
            <th scope="col">Sparsify</th>
          </tr>
        </thead>
        <tbody>
          {p.disks.map((disk) => (
            <DiskRow
              key={disk.id}
              disk={disk}
              liveJob={p.liveJobs.get(disk.id)}
              selectable={p.selectable}
              selected={p.selected.has(disk.id)}
              expanded={p.expanded.has(disk.id)}
              columns={columns}
              estimates={estimates}
              onSelect={p.onSelect}
              onToggle={p.onToggle}
              onSparsify={p.onSparsify}
            />
          ))}
          {p.disks.length === 0 && !p.loading && (
            <tr>
              <td colSpan={columns} className="empty">
                {p.emptyMessage}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
