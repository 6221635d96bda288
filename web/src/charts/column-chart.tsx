import { useMemo, useState } from "react";
import uPlot from "uplot";
import { formatBytes } from "../format";
import { axisStyle, byteScale, categoryAxis, categoryScale } from "./axes";
import { type ChartOptions, paletteColour, UPlotChart } from "./uplot-chart";

export interface Column {
  label: string;
  value: number;
}

/**
 * Columns over time (uPlot bars). The chart's name holds every number; the caller shows a
 * table too. Pointing at a column reads its value out under the chart.
 */
export function ColumnChart({ columns, label }: { columns: Column[]; label: string }) {
  const [hover, setHover] = useState<number | null>(null);
  const { options, data } = useMemo(() => {
    const x = categoryScale(columns.length);
    const y = byteScale(Math.max(0, ...columns.map((c) => c.value)));
    const colour = paletteColour("--primary", "#1d4ed8");
    const names = columns.map((c) => c.label);
    const options: ChartOptions = {
      height: 220,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false }, y: false },
      scales: { x: x.scale, y: y.scale },
      axes: [
        { ...axisStyle(), ...categoryAxis(names, 72), size: 28, grid: { show: false } },
        { ...axisStyle(), ...y.axis, size: 72 },
      ],
      series: [
        {},
        { label, fill: colour, stroke: colour, width: 0, paths: uPlot.paths.bars!({ size: [0.7, 48] }), points: { show: false } },
      ],
    };
    return { options, data: [x.xs, columns.map((c) => c.value)] as uPlot.AlignedData };
  }, [columns, label]);
  const words = columns.map((c) => `${c.label}: ${formatBytes(c.value)}`).join("; ");
  const pointed = hover === null ? undefined : columns[hover];
  return (
    <>
      <UPlotChart options={options} data={data} label={`${label}. ${words || "No data"}.`} onHover={setHover} />
      <p className="chart-readout small muted">{pointed ? `${pointed.label}: ${formatBytes(pointed.value)}` : "\u00a0"}</p>
    </>
  );
}
