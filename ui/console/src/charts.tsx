// Charts drawn with Airflow's theme tokens (CSS variables of its Chakra system), so they follow
// its light and dark mode. Every chart has a title, a legend and labelled axes or rows.
import { Box, Flex, HStack, Heading, Text } from "@chakra-ui/react";
import { useEffect, useRef, useState } from "react";

import { count, tick } from "./format";

const token = (name: string) => `var(--chakra-colors-${name.replace(".", "-")})`;

export interface Series {
  label: string;
  palette: string;
  values: number[];
}

const Legend = ({ series }: { series: Series[] }) => (
  <HStack gap={4} fontSize="sm" color="fg.muted">
    {series.map((s) => (
      <HStack gap={1} key={s.label}>
        <Box bg={`${s.palette}.solid`} borderRadius="sm" h={3} w={3} />
        <Text>{s.label}</Text>
      </HStack>
    ))}
  </HStack>
);

/**
 * Columns per time bucket. A column's place on the axis is its bucket's time and its width is
 * capped, so one bucket draws one narrow column with one label, and thirty days draw thirty.
 */
export const TimeColumns = ({
  title, times, series, bucketS, timeZone,
}: { title: string; times: string[]; series: Series[]; bucketS: number; timeZone: string }) => {
  // drawn in CSS pixels at the figure's width (no viewBox scaling: text stays at its size)
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(900);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(320, Math.floor(entry.contentRect.width))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const height = 220;
  const pad = { bottom: 28, left: 48, right: 12, top: 12 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const n = Math.max(times.length, 1);
  const slot = plotW / n;
  const groupW = Math.min(slot * 0.8, 48);
  const barW = groupW / series.length;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const labelEvery = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(plotW / 110))));
  const total = (s: Series) => s.values.reduce((a, b) => a + b, 0);
  const anchor = (x: number) => (x < pad.left + 40 ? "start" : x > width - pad.right - 40 ? "end" : "middle");
  return (
    <Box as="figure" borderColor="border" borderRadius="md" borderWidth={1} data-chart="timeline" p={3} ref={box} w="full">
      <Flex align="center" justify="space-between" mb={2} wrap="wrap" gap={2}>
        <Heading as="figcaption" size="sm">{title}</Heading>
        <Legend series={series} />
      </Flex>
      {times.length === 0 ? (
        <Text color="fg.muted" fontSize="sm">no bucket in this period</Text>
      ) : (
        <svg aria-label={title} className="chart" height={height} role="img" width={width}>
          <title>{`${title}: ${series.map((s) => `${s.label} ${count(total(s))}`).join(", ")}`}</title>
          <line stroke={token("border")} x1={pad.left} x2={width - pad.right} y1={pad.top + plotH} y2={pad.top + plotH} />
          {[0, max].map((v) => (
            <text fill={token("fg.muted")} fontSize={11} key={v} textAnchor="end" x={pad.left - 6}
              y={pad.top + plotH - (v / max) * plotH + 4}>
              {count(v)}
            </text>
          ))}
          {times.map((t, i) => {
            const x0 = pad.left + i * slot + (slot - groupW) / 2;
            return (
              <g key={t}>
                {series.map((s, j) => {
                  const h = (s.values[i] / max) * plotH;
                  return (
                    <rect fill={token(`${s.palette}.solid`)} height={h} key={s.label} rx={1} width={Math.max(barW - 1, 1)}
                      x={x0 + j * barW} y={pad.top + plotH - h}>
                      <title>{`${tick(t, bucketS, timeZone)}: ${s.label} ${count(s.values[i])}`}</title>
                    </rect>
                  );
                })}
                {i % labelEvery === 0 ? (
                  // anchored inside the plot at its edges: no label is cut off
                  <text fill={token("fg.muted")} fontSize={11} textAnchor={anchor(x0 + groupW / 2)} x={x0 + groupW / 2}
                    y={height - 8}>
                    {tick(t, bucketS, timeZone)}
                  </text>
                ) : null}
              </g>
            );
          })}
        </svg>
      )}
    </Box>
  );
};

/** Horizontal bars, one labelled row per category with its count. */
export const Bars = ({
  title, rows, palette = "brand", unit = "", digits = 0,
}: { title: string; rows: { label: string; value: number }[]; palette?: string; unit?: string; digits?: number }) => {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <Box as="figure" borderColor="border" borderRadius="md" borderWidth={1} data-chart={title} flex="1 1 320px" p={3}>
      <Heading as="figcaption" mb={2} size="sm">{title}</Heading>
      {rows.length === 0 ? (
        <Text color="fg.muted" fontSize="sm">none in this period</Text>
      ) : (
        rows.map((r) => (
          <Flex align="center" fontSize="sm" gap={2} key={r.label} mb={1}>
            <Text flex="0 0 40%" truncate title={r.label}>{r.label}</Text>
            <Box flex="1">
              <Box bg={`${palette}.solid`} borderRadius="sm" h={3} w={r.value > 0 ? `${Math.max((r.value / max) * 100, 1)}%` : 0} />
            </Box>
            <Text flex="0 0 auto" fontVariantNumeric="tabular-nums" minW="5ch" textAlign="end">
              {digits ? r.value.toFixed(digits) : count(r.value)}{unit}
            </Text>
          </Flex>
        ))
      )}
    </Box>
  );
};
