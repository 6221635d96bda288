import { formatCount } from "../format";

export function Pager({
  pageIndex,
  pageSize,
  shown,
  total,
  hasNext,
  onFirst,
  onPrevious,
  onNext,
}: {
  pageIndex: number;
  pageSize: number;
  shown: number;
  total: number;
  hasNext: boolean;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: () => void;
}) {
  const from = total === 0 ? 0 : pageIndex * pageSize + 1;
  const to = pageIndex * pageSize + shown;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav className="pager" aria-label="Pages of disks">
      <span className="pager-range" role="status">
        {total === 0 ? "No disks" : `${formatCount(from)}–${formatCount(to)} of ${formatCount(total)} disks`}
      </span>
      <span className="pager-buttons">
        <button type="button" className="button" onClick={onFirst} disabled={pageIndex === 0}>
          First
        </button>
        <button type="button" className="button" onClick={onPrevious} disabled={pageIndex === 0}>
          Previous
        </button>
        <span className="pager-page">
          Page {formatCount(pageIndex + 1)} of {formatCount(pages)}
        </span>
        <button type="button" className="button" onClick={onNext} disabled={!hasNext}>
          Next
        </button>
      </span>
    </nav>
  );
}
