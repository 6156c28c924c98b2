/// <reference lib="dom" />
/** uPlot inside Preact: made once per mount, fed new data when the page is idle, sized to its container. */

import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from './html.js';

export interface ChartProps {
  title: string;
  /** x (seconds since the epoch) then one array per series. */
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  yRange?: [number, number];
  yLabel?: string;
  height?: number;
  testId?: string;
}

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 160,
      series: [{}, ...props.series],
      scales: {
        x: { time: true },
        y: props.yRange
          ? { range: props.yRange }
          : { range: (_u, min, max) => [Math.min(0, min), Math.max(max * 1.1, 1e-9)] },
      },
      axes: [{}, { label: props.yLabel ?? '', size: 56 }],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    const u = new uPlot(opts, props.data, el);
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(200, el.clientWidth), height: opts.height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Rebuilt only when the series change; data goes through setData below.
  }, [shape]);

  useEffect(() => {
    // Redrawn when the page is idle (at most a second later), so a redraw never delays a live update, and data
    // that arrives before the redraw replaces it (one redraw for several updates).
    const draw = () => plot.current?.setData(props.data);
    if (typeof requestIdleCallback !== 'function') return void draw();
    const id = requestIdleCallback(draw, { timeout: 1000 });
    return () => cancelIdleCallback(id);
  }, [props.data]);

  return html`<figure class="chart" data-testid=${props.testId}>
    <figcaption>${props.title}</figcaption>
    <div ref=${box}></div>
  </figure>`;
}
