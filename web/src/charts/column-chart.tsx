import { formatBytes } from "../format";
import { byteTicks, linear } from "./scale";

export interface Column {
  label: string;
  value: number;
}

const W = 640;
const H = 220;
const PAD = { top: 10, right: 8, bottom: 36, left: 64 };

/**
 * Columns over time, drawn as SVG (no chart library: nothing to load, nothing inline that the
 * CSP would refuse). The SVG has an aria-label with every number; the caller shows a table too.
 */
export function ColumnChart({ columns, label }: { columns: Column[]; label: string }) {
  const max = Math.max(0, ...columns.map((c) => c.value));
  const ticks = byteTicks(max);
  const top = ticks[ticks.length - 1]!;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const y = linear(top, plotH);
  const slot = plotW / Math.max(1, columns.length);
  const bar = Math.max(1, slot * 0.7);
  // Label at most ~8 columns so the words never overlap.
  const every = Math.max(1, Math.ceil(columns.length / 8));
  const words = columns.map((c) => `${c.label}: ${formatBytes(c.value)}`).join("; ");
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`${label}. ${words || "No data"}.`}
      preserveAspectRatio="xMidYMid meet"
    >
      {ticks.map((t) => (
        <g key={t} transform={`translate(0 ${PAD.top + plotH - y(t)})`}>
          <line x1={PAD.left} x2={W - PAD.right} className="chart-grid" />
          <text x={PAD.left - 6} dy="0.32em" textAnchor="end" className="chart-tick">
            {formatBytes(t)}
          </text>
        </g>
      ))}
      {columns.map((c, i) => {
        const h = y(Math.max(0, c.value));
        const x = PAD.left + i * slot + (slot - bar) / 2;
        return (
          <g key={`${c.label}-${i}`}>
            <rect x={x} y={PAD.top + plotH - h} width={bar} height={h} className="chart-bar">
              <title>{`${c.label}: ${formatBytes(c.value)}`}</title>
            </rect>
            {i % every === 0 && (
              <text x={x + bar / 2} y={H - PAD.bottom + 16} textAnchor="middle" className="chart-tick">
                {c.label}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export interface PairRow {
  label: string;
  /** The outer bar (e.g. virtual size). */
  outer: number;
  /** The inner bar drawn over it (e.g. actual size). */
  inner: number;
}

/** Horizontal bars, one row per item, an inner bar drawn over an outer one (actual over virtual). */
export function PairBarChart({
  rows,
  label,
  outerName,
  innerName,
}: {
  rows: PairRow[];
  label: string;
  outerName: string;
  innerName: string;
}) {
  const rowH = 34;
  const left = 110;
  const right = 8;
  const height = Math.max(1, rows.length) * rowH + 28;
  const max = Math.max(0, ...rows.map((r) => Math.max(r.outer, r.inner)));
  const x = linear(byteTicks(max).at(-1)!, W - left - right);
  const words = rows
    .map((r) => `${r.label}: ${innerName} ${formatBytes(r.inner)} of ${outerName} ${formatBytes(r.outer)}`)
    .join("; ");
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={`${label}. ${words || "No data"}.`}>
      {rows.map((r, i) => (
        <g key={`${r.label}-${i}`} transform={`translate(0 ${i * rowH + 6})`}>
          <text x={left - 8} y={rowH / 2 - 2} textAnchor="end" className="chart-tick">
            {r.label.length > 14 ? `${r.label.slice(0, 13)}…` : r.label}
          </text>
          <rect x={left} y={2} width={Math.max(1, x(r.outer))} height={rowH - 12} className="chart-bar-outer">
            <title>{`${r.label}: ${outerName} ${formatBytes(r.outer)}`}</title>
          </rect>
          <rect x={left} y={8} width={x(r.inner)} height={rowH - 24} className="chart-bar">
            <title>{`${r.label}: ${innerName} ${formatBytes(r.inner)}`}</title>
          </rect>
        </g>
      ))}
      <g transform={`translate(${left} ${height - 12})`} className="chart-tick">
        <rect width={12} height={10} y={-9} className="chart-bar-outer" />
        <text x={16}>{outerName}</text>
        <rect x={110} width={12} height={10} y={-9} className="chart-bar" />
        <text x={126}>{innerName}</text>
      </g>
    </svg>
  );
}
