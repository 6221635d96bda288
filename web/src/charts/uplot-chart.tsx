import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** Options without a width: the chart takes the width of its box and follows it. */
export type ChartOptions = Omit<uPlot.Options, "width">;

/**
 * A uPlot canvas in a React element, named for assistive technology (a canvas has no text of
 * its own, so the caller puts every number in `label`). uPlot sets its styles through the CSSOM
 * and ships a CSS file that Vite bundles, so the gateway's `style-src 'self'` allows it.
 * `options` and `data` should be memoised: a new value redraws the chart from scratch.
 */
export function UPlotChart({
  options,
  data,
  label,
  onHover,
}: {
  options: ChartOptions;
  data: uPlot.AlignedData;
  label: string;
  /** The index under the pointer, or null when it leaves the chart. */
  onHover?: (index: number | null) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Kept in a ref so a new callback each render does not rebuild the chart.
  const hover = useRef(onHover);
  hover.current = onHover;
  useEffect(() => {
    const el = box.current!;
    const width = () => Math.max(1, Math.floor(el.clientWidth));
    const setCursor = (u: uPlot) => hover.current?.(u.cursor.idx ?? null);
    const hooks = { ...options.hooks, setCursor: [...(options.hooks?.setCursor ?? []), setCursor] };
    const plot = new uPlot({ ...options, hooks, width: width() }, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: options.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [options, data]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}

/** A colour from the stylesheet's palette, so the canvas matches the rest of the page. */
export function paletteColour(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}
