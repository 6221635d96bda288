import { useMemo, useState } from "react";
import uPlot from "uplot";
import { formatBytes } from "../format";
import { axisStyle, byteScale, categoryAxis, categoryScale } from "./axes";
import { type ChartOptions, paletteColour, UPlotChart } from "./uplot-chart";

export interface PairRow {
  label: string;
  /** The outer bar (e.g. virtual size). */
  outer: number;
  /** The inner bar drawn over it (e.g. actual size). */
  inner: number;
}

const ROW = 34;

/** Horizontal bars, one row per item, a thin inner bar over a wide outer one (actual over virtual). */
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
  const [hover, setHover] = useState<number | null>(null);
  const { options, data } = useMemo(() => {
    const x = categoryScale(rows.length);
    const y = byteScale(Math.max(0, ...rows.map((r) => Math.max(r.outer, r.inner))));
    const outer = paletteColour("--chart-outer", "#c7d2fe");
    const inner = paletteColour("--primary", "#1d4ed8");
    const names = rows.map((r) => (r.label.length > 14 ? `${r.label.slice(0, 13)}…` : r.label));
    const options: ChartOptions = {
      height: Math.max(1, rows.length) * ROW + 40,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false }, x: false },
      // Categories run down the left (first on top), sizes along the bottom.
      scales: { x: { ...x.scale, ori: 1, dir: -1 }, y: { ...y.scale, ori: 0 } },
      axes: [
        { ...axisStyle(), ...categoryAxis(names, 0), side: 3, size: 104, grid: { show: false } },
        { ...axisStyle(), ...y.axis, side: 2, size: 28 },
      ],
      series: [
        {},
        { label: outerName, fill: outer, width: 0, paths: uPlot.paths.bars!({ size: [0.75, 40] }), points: { show: false } },
        { label: innerName, fill: inner, width: 0, paths: uPlot.paths.bars!({ size: [0.35, 16] }), points: { show: false } },
      ],
    };
    return { options, data: [x.xs, rows.map((r) => r.outer), rows.map((r) => r.inner)] as uPlot.AlignedData };
  }, [rows, outerName, innerName]);
  const words = rows
    .map((r) => `${r.label}: ${innerName} ${formatBytes(r.inner)} of ${outerName} ${formatBytes(r.outer)}`)
    .join("; ");
  const pointed = hover === null ? undefined : rows[hover];
  return (
    <>
      <UPlotChart options={options} data={data} label={`${label}. ${words || "No data"}.`} onHover={setHover} />
      <div className="chart-foot small muted">
        <span className="chart-key chart-key-outer">{outerName}</span>
        <span className="chart-key chart-key-inner">{innerName}</span>
        <span className="chart-readout">
          {pointed
            ? `${pointed.label}: ${innerName} ${formatBytes(pointed.inner)} of ${outerName} ${formatBytes(pointed.outer)}`
            : ""}
        </span>
      </div>
    </>
  );
}
