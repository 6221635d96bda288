import type uPlot from "uplot";
import { formatBytes } from "../format";
import { paletteColour } from "./uplot-chart";
import { byteTicks } from "./scale";

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif';

/** What every axis shares: the page's muted colour and small type, light grid lines. */
export function axisStyle(): Pick<uPlot.Axis, "stroke" | "font" | "grid" | "ticks"> {
  const line = paletteColour("--line", "#d5d9e0");
  return {
    stroke: paletteColour("--muted", "#4a5261"),
    font: FONT,
    grid: { stroke: line, width: 1 },
    ticks: { show: false },
  };
}

/**
 * A byte scale from 0 with ticks on round binary units (0, 256 MiB, 512 MiB…), so every label
 * formats exactly; uPlot's own ticks are decimal.
 */
export function byteScale(max: number): { scale: uPlot.Scale; axis: Pick<uPlot.Axis, "splits" | "values"> } {
  const ticks = byteTicks(max);
  return {
    scale: { auto: false, range: [0, ticks.at(-1)!] },
    axis: { splits: () => ticks, values: (_u, splits) => splits.map((t) => formatBytes(t)) },
  };
}

/**
 * A category axis (one slot per index): names every `step`-th slot so that the words keep
 * `minGap` pixels apart at the chart's current size.
 */
export function categoryAxis(names: readonly string[], minGap: number): Pick<uPlot.Axis, "splits" | "values"> {
  return {
    splits: (u) => {
      const along = u.scales.x?.ori === 1 ? u.bbox.height : u.bbox.width;
      const slot = (along / devicePixelRatio || 1) / Math.max(1, names.length);
      const step = Math.max(1, Math.ceil(minGap / slot));
      return names.map((_, i) => i).filter((i) => i % step === 0);
    },
    values: (_u, splits) => splits.map((i) => names[i] ?? ""),
  };
}

/** Indices 0…n-1 and a range that puts each at the middle of its slot. */
export function categoryScale(n: number): { xs: number[]; scale: uPlot.Scale } {
  return {
    xs: Array.from({ length: n }, (_, i) => i),
    scale: { time: false, auto: false, range: [-0.5, Math.max(0, n - 1) + 0.5] },
  };
}
