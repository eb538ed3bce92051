// Tasks of running DAG runs that wait for input: what for (the archive path and whether that
// folder exists where the API server runs), since when and until when (html.waiting_panel).
import { Alert, Code, List } from "@chakra-ui/react";

import type { Board, Wait } from "./api";
import { dateTime } from "./format";
import { AirflowLink, airflowPaths } from "./parts";

const STATE_WORDS: Record<string, string> = {
  deferred: "deferred to the triggerer", running: "checking", up_for_reschedule: "between checks",
};

const Subject = ({ wait }: { wait: Wait }) => {
  if (!wait.archive_root) return <>Operator {wait.operator ?? "unknown"}.</>;
  const where = wait.day_folders.length ? wait.day_folders : [wait.archive_root];
  return (
    <>
      It waits for archive files in {where.map((d, i) => <span key={d}>{i ? ", " : ""}<Code>{d}</Code></span>)}.
      {wait.root_exists === null ? null : (
        <> The archive root <Code>{wait.archive_root}</Code> <b>{wait.root_exists ? "exists" : "does not exist"}</b> on
          the API server's filesystem{wait.root_exists ? "" : <>: set the DAG's <Code>archive_root</Code> param to your
          archive (or mount it there)</>}.</>
      )}
    </>
  );
};

export const Waiting = ({ board, timeZone }: { board: Board; timeZone: string }) => {
  if (board.airflow_error) {
    return (
      <Alert.Root data-panel="airflow-error" status="warning">
        <Alert.Indicator />
        <Alert.Description>
          <b>Task states could not be read from Airflow</b> ({board.airflow_error}): runs that wait for input are not
          shown here; the DAG runs in Airflow's own pages show them.
        </Alert.Description>
      </Alert.Root>
    );
  }
  if (board.waits.length === 0) return null;
  return (
    <Alert.Root data-panel="waiting" status="warning">
      <Alert.Indicator />
      <Alert.Content>
        <Alert.Title>Waiting for input ({board.waits.length})</Alert.Title>
        <Alert.Description>
          <List.Root gap={1} ps={4}>
            {board.waits.map((w) => (
              <List.Item data-wait={w.dag_id} key={`${w.dag_id}/${w.run_id}/${w.task_id}/${w.map_index}`}>
                <b>{w.dag_id}</b> run <AirflowLink to={airflowPaths.runTab(w.dag_id, w.run_id)}>{w.run_id}</AirflowLink>:
                task <AirflowLink to={airflowPaths.task(w.dag_id, w.run_id, w.task_id, w.map_index)}>{w.task_id}</AirflowLink>{" "}
                is waiting ({STATE_WORDS[w.state] ?? w.state}) {w.since ? `since ${dateTime(w.since, timeZone)}` : "since its start"}
                {w.until ? `; gives up at ${dateTime(w.until, timeZone)}, then the run's staging is skipped` : ""}.{" "}
                <Subject wait={w} />
              </List.Item>
            ))}
          </List.Root>
        </Alert.Description>
      </Alert.Content>
    </Alert.Root>
  );
};
