// The channel dashboard: filters, channels (one row per source, rows that add up), the
// timeline, results saved, breakdowns and the runs, each run opening its page (the plugin's
// tab on the DAG run) and Airflow's own run page.
import { Box, Button, Code, Flex, HStack, Heading, Input, Link, NativeSelect, Stack, Text } from "@chakra-ui/react";
import { type ReactNode, useState } from "react";

import { type Board, type Row, appUrl } from "./api";
import { Bars, TimeColumns } from "./charts";
import { age, count, dateTime, decimal, instantOf, percent, wallTime } from "./format";
import { AirflowLink, type Column, DataTable, Figure, airflowPaths } from "./parts";
import { Waiting } from "./Waiting";
import { WatchdogPanel } from "./Watchdog";

export const QUICK_PERIODS: [string, number][] = [["1 h", 1], ["24 h", 24], ["7 days", 168], ["30 days", 720]];

const num = (v: Row[string] | undefined) => Number(v ?? 0);
const str = (v: Row[string] | undefined) => (v === null || v === undefined ? "" : String(v));

const Section = ({ title, children }: { title: string; children: ReactNode }) => (
  <Stack as="section" gap={3}>
    <Heading as="h2" size="lg">{title}</Heading>
    {children}
  </Stack>
);

const Filters = ({ board, params, setParams, timeZone }: {
  board: Board; params: URLSearchParams; setParams: (p: URLSearchParams) => void; timeZone: string;
}) => {
  // from/to in the timezone chosen in Airflow's UI; the address keeps them as UTC instants
  const [from, setFrom] = useState(params.get("start") ? wallTime(params.get("start")!, timeZone) : "");
  const [to, setTo] = useState(params.get("end") ? wallTime(params.get("end")!, timeZone) : "");
  const showRange = () => {
    const next = new URLSearchParams(params);
    next.delete("hours");
    for (const [key, wall] of [["start", from], ["end", to]]) {
      if (wall) next.set(key, instantOf(wall, timeZone));
      else next.delete(key);
    }
    setParams(next);
  };
  const change = (key: string, value: string, drop: string[] = []) => {
    const next = new URLSearchParams(params);
    for (const k of drop) next.delete(k);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  const hours = params.get("hours") ?? (params.get("start") ? "" : "24");
  return (
    <Flex align="end" gap={3} wrap="wrap">
      {board.schemas.length > 1 ? (
        <Box>
          <Text color="fg.muted" fontSize="xs" mb={1}>store</Text>
          <NativeSelect.Root size="sm" width="200px">
            <NativeSelect.Field aria-label="store" name="schema" onChange={(e) => change("schema", e.currentTarget.value)}
              value={board.schema}>
              {board.schemas.map((s) => <option key={s} value={s}>{s}</option>)}
            </NativeSelect.Field>
            <NativeSelect.Indicator />
          </NativeSelect.Root>
        </Box>
      ) : null}
      <Box>
        <Text color="fg.muted" fontSize="xs" mb={1}>DAG</Text>
        <NativeSelect.Root size="sm" width="260px">
          <NativeSelect.Field aria-label="DAG" name="dag_id" onChange={(e) => change("dag_id", e.currentTarget.value)}
            value={board.dag_id ?? ""}>
            <option value="">all DAGs</option>
            {board.dags.map((d) => <option key={d} value={d}>{d}</option>)}
          </NativeSelect.Field>
          <NativeSelect.Indicator />
        </NativeSelect.Root>
      </Box>
      <Box>
        <Text color="fg.muted" fontSize="xs" mb={1}>period</Text>
        <HStack gap={1}>
          {QUICK_PERIODS.map(([label, h]) => (
            <Button key={h} onClick={() => change("hours", String(h), ["start", "end"])} size="sm"
              variant={hours === String(h) ? "solid" : "outline"}>
              {label}
            </Button>
          ))}
        </HStack>
      </Box>
      <Box>
        <Text color="fg.muted" fontSize="xs" mb={1}>from ({timeZone})</Text>
        <Input aria-label="from" name="start" onChange={(e) => setFrom(e.currentTarget.value)} size="sm"
          type="datetime-local" value={from} width="210px" />
      </Box>
      <Box>
        <Text color="fg.muted" fontSize="xs" mb={1}>to (empty: now)</Text>
        <Input aria-label="to" name="end" onChange={(e) => setTo(e.currentTarget.value)} size="sm"
          type="datetime-local" value={to} width="210px" />
      </Box>
      <Button disabled={!from} onClick={showRange} size="sm" variant="outline">Show</Button>
    </Flex>
  );
};

export const Dashboard = ({ board, params, setParams, timeZone }: {
  board: Board; params: URLSearchParams; setParams: (p: URLSearchParams) => void; timeZone: string;
}) => {
  const t = board.totals ?? {};
  const period = board.period!;
  const oldest = (v: Row[string] | undefined) => (v === null || v === undefined ? "–" : age(v));
  // up / down with the last heartbeat's age, or stopped; a source no listener feeds: "–"
  const listener = (r: Row) => {
    if (r.listener === null || r.listener === undefined) return "–";
    if (r.listener === "stopped") return "stopped";
    return (
      <Text as="span" color={r.listener === "up" ? "fg.success" : "fg.error"} data-listener={str(r.listener)}>
        {str(r.listener)} (beat {oldest(r.listener_beat_age_s)} ago)
      </Text>
    );
  };
  // drill down: a source, or its quarantined and failed inputs, in the message browser for
  // the same period and DAG (plugins/monitoring/browser_app.py, its ``search`` params)
  const browse = (r: Row, status?: string) => {
    const q = new URLSearchParams({ start: period.start, end: period.end });
    if (!r.all_sources) q.set("source", str(r.source));
    if (board.dag_id) q.set("dag_id", board.dag_id);
    if (board.schema) q.set("schema", board.schema);
    if (status) q.set("status", status);
    return appUrl("messages", q);
  };
  const browsed = (r: Row, k: "quarantined" | "failed") =>
    num(r[k]) > 0 ? <Link color="fg.info" href={browse(r, k)}>{count(r[k])}</Link> : count(r[k]);
  const channelCols: Column<Row>[] = [
    { cell: (r) => <Link color="fg.info" href={browse(r)}>{str(r.source)}</Link>, heading: "source", key: "source" },
    ...(["received", "filtered", "queued", "processed", "delivered"] as const).map((k) => ({
      cell: (r: Row) => count(r[k]), heading: k, key: k, numeric: true,
    })),
    { cell: (r) => browsed(r, "quarantined"), heading: "quarantined", key: "quarantined", numeric: true },
    { cell: (r) => count(r.rejected_at_staging), heading: "of which rejected at staging", key: "rejected_at_staging", numeric: true },
    { cell: (r) => browsed(r, "failed"), heading: "failed", key: "failed", numeric: true },
    { cell: (r) => dateTime(str(r.last_received_at), timeZone), heading: "last message", key: "last_received_at" },
    { cell: (r) => oldest(r.oldest_queued_s), heading: "oldest queued", key: "oldest", numeric: true },
    { cell: (r) => listener(r), heading: "MLLP listener", key: "listener" },
  ];
  const runCols: Column<Row>[] = [
    { cell: (r) => <AirflowLink to={airflowPaths.runTab(str(r.dag_id), str(r.run_id))}>{str(r.run_id)}</AirflowLink>,
      heading: "run", key: "run" },
    { cell: (r) => <AirflowLink to={airflowPaths.dag(str(r.dag_id))}>{str(r.dag_id)}</AirflowLink>, heading: "DAG", key: "dag_id" },
    { cell: (r) => count(r.processed), heading: "processed", key: "processed", numeric: true },
    { cell: (r) => count(r.quarantined), heading: "quarantined", key: "quarantined", numeric: true },
    { cell: (r) => count(r.failed), heading: "failed", key: "failed", numeric: true },
    { cell: (r) => dateTime(str(r.first_at), timeZone), heading: "first result", key: "first_at" },
    { cell: (r) => dateTime(str(r.last_at), timeZone), heading: "last result", key: "last_at" },
    { cell: (r) => <AirflowLink to={airflowPaths.run(str(r.dag_id), str(r.run_id))}>grid and logs</AirflowLink>,
      heading: "in Airflow", key: "airflow" },
  ];
  const latencyCols: Column<Row>[] = [
    { cell: (r) => str(r.stage), heading: "stage", key: "stage" },
    { cell: (r) => count(r.n), heading: "messages", key: "n", numeric: true },
    ...(["mean_ms", "p50_ms", "p95_ms"] as const).map((k) => ({
      cell: (r: Row) => decimal(r[k]), heading: `${k.replace("_ms", "")} (ms)`, key: k, numeric: true,
    })),
  ];
  const pairs = (rows: Row[] | undefined, value = "n", label = "label") =>
    (rows ?? []).map((r) => ({ label: str(r[label]), value: num(r[value]) }));
  const classic = new URLSearchParams(params);
  return (
    <Stack gap={6}>
      <Flex align="baseline" gap={4} justify="space-between" wrap="wrap">
        <Heading as="h1" size="xl">intakeflow monitoring</Heading>
        <Link color="fg.muted" fontSize="sm" href={appUrl("", classic)}>server-rendered page</Link>
      </Flex>
      <Filters board={board} key={`${params.get("start")}/${params.get("end")}`} params={params} setParams={setParams}
        timeZone={timeZone} />
      <Text color="fg.muted" data-note="period" fontSize="sm">
        {dateTime(period.start, timeZone)} to {dateTime(period.end, timeZone)}, {board.dag_id ?? "all DAGs"}, store{" "}
        {board.schema}
      </Text>
      <Waiting board={board} timeZone={timeZone} />
      <WatchdogPanel timeZone={timeZone} view={board.watchdog} />

      <Section title="Channels: inputs received in the period, and where they are now">
        <Flex gap={3} wrap="wrap">
          <Figure id="received" label="received" value={count(t.received)} />
          <Figure id="filtered" label="filtered" value={count(t.filtered)} />
          <Figure id="queued" label="queued" value={count(t.queued)} />
          <Figure id="processed" label="processed, not written back" value={count(t.processed)} />
          <Figure id="delivered" label="delivered (written back)" value={count(t.delivered)} />
          <Figure hint={`${count(t.rejected_at_staging)} of them rejected at staging`} id="quarantined" label="quarantined"
            value={count(t.quarantined)} />
          <Figure id="failed" label="failed (will retry)" value={count(t.failed)} />
          <Figure id="oldest-queued" label="oldest queued" value={oldest(t.oldest_queued_s)} />
        </Flex>
        <DataTable className="channels" columns={channelCols} empty="no input received in this period"
          foot={{ ...t, source: "all sources", all_sources: 1 } as Row} rowKey={(r) => str(r.source)} rows={board.channels ?? []} />
        {board.backlog && board.backlog.length > 0 ? (
          <Text data-note="backlog" fontSize="sm">
            Also still waiting, received before this period:{" "}
            {board.backlog.map((r) =>
              `${str(r.source)}: ${count(r.queued)} queued` +
              (r.oldest_queued_s !== null ? ` (oldest ${age(r.oldest_queued_s)})` : "") +
              (num(r.failed) ? `, ${count(r.failed)} failed` : "")).join("; ")}.
          </Text>
        ) : null}
        <Box as="dl" color="fg.muted" display="grid" fontSize="sm" gridTemplateColumns="max-content 1fr" columnGap={3}>
          {board.legend.map((l) => [
            <Text as="dt" fontWeight="semibold" key={`t-${l.state}`}>{l.state}</Text>,
            <Text as="dd" key={`d-${l.state}`}>{l.meaning}</Text>,
          ])}
        </Box>
        <Text color="fg.muted" fontSize="sm">
          Rows of every pipeline version count (a message re-staged under a new model version counts once per version);{" "}
          <Code>intakeflow status</Code> counts one version.
        </Text>
      </Section>

      <TimeColumns bucketS={period.bucket_s} timeZone={timeZone}
        series={[
          { label: "received", palette: "brand", values: (board.timeline ?? []).map((b) => b.received) },
          { label: "results saved", palette: "success", values: (board.timeline ?? []).map((b) => b.saved) },
        ]}
        times={(board.timeline ?? []).map((b) => b.t)}
        title={`Inputs received and results saved per ${period.bucket_name}`} />

      <Section title="Results saved in the period">
        <Text color="fg.muted" fontSize="sm">
          Pipeline results saved by runs in the period (processed or since written back), whenever their input arrived.
        </Text>
        <Flex gap={3} wrap="wrap">
          <Figure id="results" label="results saved" value={count(t.results)} />
          <Figure id="per-hour" label="results per hour (period mean)" value={decimal(t.results_per_hour)} />
          <Figure id="peak" label={`results in the busiest ${period.bucket_name}`} value={count(t.peak_per_bucket)} />
          <Figure id="needs-review" label="needs review" value={percent(t.needs_review_share)} />
          <Figure id="phi" label="PHI spans" value={count(t.phi_spans)} />
          <Figure id="insurance" label="insurance fields" value={count(t.insurance_fields)} />
          <Figure id="fallback-calls" label="fallback calls" value={count(t.fallback_calls)} />
          <Figure id="fallback-usd" label="fallback cost (USD)" value={decimal(t.fallback_usd, 4)} />
        </Flex>
      </Section>

      <Section title="Intents, PHI and insurance">
        <Flex gap={4} wrap="wrap">
          <Bars rows={pairs(board.intents)} title="Intent mix" />
          <Bars palette="warning" rows={pairs(board.intents, "needs_review")} title="Needs review by intent" />
          <Bars palette="info" rows={pairs(board.phi)} title="PHI spans by type" />
          <Bars palette="info" rows={pairs(board.insurance)} title="Insurance fields found" />
        </Flex>
      </Section>

      <Section title="Quarantine and latency">
        <Flex gap={4} wrap="wrap">
          <Bars palette="failed" rows={pairs(board.quarantine)} title="Quarantined by reason code" />
          <Bars digits={1} rows={pairs(board.latency, "mean_ms", "stage")} title="Mean latency per stage" unit=" ms" />
        </Flex>
        <DataTable className="latency" columns={latencyCols} rowKey={(r) => str(r.stage)} rows={board.latency ?? []} />
      </Section>

      <Section title="Runs">
        <Text color="fg.muted" fontSize="sm">A run opens its intakeflow tab (its messages, tasks and quarantine list).</Text>
        <DataTable className="runs" columns={runCols} rowKey={(r) => `${str(r.dag_id)}/${str(r.run_id)}`}
          rows={board.runs ?? []} />
      </Section>
    </Stack>
  );
};
