import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/**
 * One time series as a uPlot line chart, sized to its container (and resized with it). The
 * table of values beside it (for screen readers) is the caller's: a chart is only a picture.
 */
export function Chart(props: { label: string; unit: string; times: number[]; values: (number | null)[]; color: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 160,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' }, size: 56 },
      ],
      series: [{}, { label: props.label, stroke: props.color, width: 2, fill: `${props.color}22`, spanGaps: false, points: { show: false } }],
    };
    const u = new uPlot(opts, [props.times, props.values], el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: 160 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([props.times, props.values]);
  }, [props.times, props.values]);

  return <div class="chart" ref={box} role="img" aria-label={`${props.label} (${props.unit})`} />;
}
