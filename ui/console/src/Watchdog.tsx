// The watchdog: per source what waits and whether anything processes it, the alerts firing,
// and whether the watchdog DAG checks at all (watchdog.panel of the server-rendered page).
// Nothing while all is well, but a hint while the watchdog has never run.
import { Alert, Code, List, Text } from "@chakra-ui/react";

import type { BacklogCheck, FiringAlert, Watchdog } from "./api";
import { age, count, dateTime } from "./format";
import { AirflowLink, airflowPaths } from "./parts";

const plural = (n: number, word: string) => `${word}${n === 1 ? "" : "s"}`;

const BacklogLine = ({ row }: { row: BacklogCheck }) => {
  const f = row.figures;
  return (
    <List.Item data-backlog={row.subject} data-firing={String(row.firing)}>
      backlog <Code>{row.subject}</Code>: <b data-n="queued">{count(f.queued)}</b> {plural(f.queued, "message")} queued
      {f.failed ? <>, <b data-n="failed">{count(f.failed)}</b> failed (retried)</> : null}, oldest{" "}
      <b data-n="oldest">{age(f.oldest_queued_s)}</b>,{" "}
      {f.running ? <>running (last claim or result <span data-n="idle">{age(f.idle_s)}</span> ago)</> : <b>nothing running</b>}
      {row.firing && row.thresholds.backlog_age_s !== null
        ? ` (alert threshold ${age(row.thresholds.backlog_age_s)})` : null}
    </List.Item>
  );
};

const AlertLine = ({ alert, timeZone }: { alert: FiringAlert; timeZone: string }) => (
  <List.Item data-alert={alert.key}>
    <b>{alert.code} {alert.title}</b> (<Code>{alert.subject}</Code>), firing since {dateTime(alert.fired_at, timeZone)}:{" "}
    {alert.sentence.replace(/^E\d+: /, "")}
  </List.Item>
);

const DagLink = ({ dagId }: { dagId: string }) => <AirflowLink to={airflowPaths.dag(dagId)}>{dagId}</AirflowLink>;

/** Whether the watchdog checks, in words (the first line of the panel). */
const LastCheck = ({ view, timeZone }: { view: Watchdog; timeZone: string }) => {
  if (!view.migrated) {
    return <>The watchdog's tables are not in this store yet (the next run of any intakeflow DAG adds them).</>;
  }
  if (view.checked_at === null) {
    return <>The watchdog has not checked this store yet: unpause the DAG <DagLink dagId={view.dag_id} /> for alerts.</>;
  }
  const at = `${age(view.age_s)} ago (${dateTime(view.checked_at, timeZone)})`;
  if (view.stale) {
    return (
      <>The watchdog last checked <b data-n="last-check">{at}</b>: is the DAG <DagLink dagId={view.dag_id} /> paused or
        failing? Until it runs, nothing below is alerted.</>
    );
  }
  return <>Last check <span data-n="last-check">{at}</span>.</>;
};

export const WatchdogPanel = ({ view, timeZone }: { view: Watchdog | undefined; timeZone: string }) => {
  if (!view) return null;
  const stalled = view.backlog.filter((r) => r.firing);
  const firing = view.alerts.length > 0 || stalled.length > 0;
  if (!firing && !view.stale) {
    if (view.migrated && view.checked_at !== null) return null;
    return (
      <Alert.Root data-panel="watchdog" data-state="never-ran" status="info">
        <Alert.Indicator />
        <Alert.Description><LastCheck timeZone={timeZone} view={view} /></Alert.Description>
      </Alert.Root>
    );
  }
  const n = view.alerts.length;
  return (
    <Alert.Root data-panel="watchdog" data-state={firing ? "firing" : "stale"} status={firing ? "error" : "warning"}>
      <Alert.Indicator />
      <Alert.Content>
        <Alert.Title>Watchdog: {n ? `${n} ${plural(n, "alert")} firing` : "no alert firing"}</Alert.Title>
        <Alert.Description>
          <Text><LastCheck timeZone={timeZone} view={view} /></Text>
          {n ? (
            <List.Root className="alerts" gap={1} ps={4}>
              {view.alerts.map((a) => <AlertLine alert={a} key={a.key} timeZone={timeZone} />)}
            </List.Root>
          ) : null}
          {view.backlog.length ? (
            <List.Root className="backlog" gap={1} ps={4}>
              {view.backlog.map((r) => <BacklogLine key={r.subject} row={r} />)}
            </List.Root>
          ) : null}
          <Text color="fg.muted" fontSize="sm">
            Now, all sources (the period and DAG above do not apply). <Code>intakeflow health</Code> prints the same
            checks; README "Alerts" says what fires and how to set the thresholds.
          </Text>
        </Alert.Description>
      </Alert.Content>
    </Alert.Root>
  );
};
