"use client";
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricsPoint } from "@/lib/node-metrics.ts";

/** A point of any scraped series: its time and figures (null: no data in that interval). */
export type ChartPoint = { time: number };
export type ChartLine<P extends ChartPoint = MetricsPoint> = { key: keyof P & string; label: string; color: string };

const time = (t: number) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function formatFigure(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (Math.abs(value) >= 1000) return value.toLocaleString(undefined, { maximumFractionDigits: 0 });
  return value.toLocaleString(undefined, { maximumFractionDigits: digits });
}

/**
 * One live line chart over the scraped points: the latest value of the first line beside the
 * title, the lines below. Gaps (intervals without data) stay gaps.
 */
export function MetricChart<P extends ChartPoint = MetricsPoint>({ title, unit, points, lines, testId }: { title: string; unit?: string; points: P[]; lines: ChartLine<P>[]; testId: string }) {
  const latest = points.at(-1);
  const first = lines[0]!;
  const value = latest?.[first.key] as number | null | undefined;
  return (
    <div className="metric-chart" data-testid={testId} data-points={points.length}>
      <div className="spread">
        <h3>{title}</h3>
        <span className="metric-value" data-testid={`${testId}-value`}>
          {formatFigure(value)}
          {unit && value !== null && value !== undefined ? <span className="muted small"> {unit}</span> : null}
        </span>
      </div>
      <LineChart responsive style={{ width: "100%", height: 170 }} data={points} margin={{ top: 6, right: 8, bottom: 0, left: -12 }}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="time" tickFormatter={time} stroke="var(--muted)" fontSize={11} minTickGap={40} />
        <YAxis stroke="var(--muted)" fontSize={11} width={48} tickFormatter={(v: number) => formatFigure(v)} allowDecimals />
        <Tooltip
          labelFormatter={(t) => time(Number(t))}
          formatter={(v) => `${formatFigure(Number(v), 2)}${unit ? ` ${unit}` : ""}`}
          contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6, fontSize: 12 }}
        />
        {lines.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
        {lines.map((line) => (
          <Line key={line.key} type="monotone" dataKey={line.key} name={line.label} stroke={line.color} strokeWidth={2} dot={false} isAnimationActive={false} connectNulls={false} />
        ))}
      </LineChart>
    </div>
  );
}
