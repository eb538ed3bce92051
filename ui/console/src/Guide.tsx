// The first-run guide: shown instead of the dashboard while the store has nothing to show
// (no schema yet, an older schema, empty) or cannot be reached. Same words as html.guide_page.
import { Alert, Box, Code, Heading, List, Stack } from "@chakra-ui/react";

import type { Board } from "./api";
import { airflowTimezone } from "./format";
import { AirflowLink, DataTable, airflowPaths } from "./parts";
import { Waiting } from "./Waiting";

const ARCHIVE_DAG = "hl7_archive_intake";

export const Guide = ({ board, unreachable, schema }: { board?: Board; unreachable?: string; schema: string }) => {
  const conn = board?.store_conn_id ?? "intakeflow_postgres";
  const condition = unreachable ? "unreachable" : (board?.store.condition ?? "missing");
  let status;
  if (unreachable) {
    status = <>The store database could not be reached through the Airflow connection <Code>{conn}</Code> ({unreachable}).</>;
  } else if (condition === "missing") {
    status = (
      <>The store schema <Code>{schema}</Code> does not exist yet in the database of connection <Code>{conn}</Code>: no
        intakeflow DAG has run its <Code>migrate_store</Code> task.</>
    );
  } else if (condition === "outdated") {
    status = (
      <>The store schema <Code>{schema}</Code> is at migration {board?.store.version}; this page reads migration 4 and
        later. The next run of any intakeflow DAG upgrades it (its <Code>migrate_store</Code> task).</>
    );
  } else {
    status = <>The store schema <Code>{schema}</Code> exists and is empty: nothing has been received yet.</>;
  }
  const archive = board?.dag_setups.find((d) => d.dag_id === ARCHIVE_DAG);
  const root = archive?.archive_root ?? board?.archive_default ?? null;
  const exists = archive?.archive_root ? archive.root_exists : board?.archive_default_exists;
  return (
    <Stack gap={4}>
      <Heading as="h1" size="xl">intakeflow monitoring: nothing to show yet</Heading>
      <Alert.Root data-panel="first-run" data-store={condition} status={unreachable ? "error" : "info"}>
        <Alert.Indicator />
        <Alert.Description>{status}</Alert.Description>
      </Alert.Root>
      {board ? <Waiting board={board} timeZone={airflowTimezone()} /> : null}
      <Box className="guide">
        <Heading as="h2" mb={2} size="md">1. Configure</Heading>
        <List.Root as="ol" gap={2} ps={5}>
          <List.Item>
            <b>The store.</b> An Airflow connection <Code>{conn}</Code> (type Postgres) to the database for the store;
            this page reads it through <Code>[intakeflow] monitor_postgres_conn_id</Code> and the schemas in{" "}
            <Code>monitor_schemas</Code>. The DAGs create the schema themselves.
          </List.Item>
          <List.Item>
            <b>An HL7 v2 archive</b>, for <Code>{ARCHIVE_DAG}</Code>: its <Code>archive_root</Code> param is the folder
            holding <Code>YYYY/MM/DD/*.hl7</Code> (or <Code>.hl7.gz</Code>) day folders, as the workers and the
            triggerer see it.
            {root ? (
              <> Its default is <Code>{root}</Code>, which{" "}
                <b>{exists ? "exists" : exists === false ? "does not exist" : "may not exist"}</b> on the API
                server's filesystem.</>
            ) : null}{" "}
            A run waits up to 6 hours for its day folder, then skips the day: set <Code>archive_root</Code> before you
            unpause the DAG.
          </List.Item>
          <List.Item>
            <b>A FHIR server</b> (optional), for <Code>fhir_communication_intake</Code> and for write-back: an Airflow
            connection <Code>intakeflow_fhir</Code> (type FHIR). Write-back from the archive DAG also needs its{" "}
            <Code>write_back</Code> param set to true.
          </List.Item>
        </List.Root>
        <Heading as="h2" mb={2} mt={4} size="md">2. Run one DAG</Heading>
        <List.Root as="ol" gap={2} ps={5}>
          <List.Item>
            <b>Run <Code>{ARCHIVE_DAG}</Code> first</b>: trigger it by hand with <Code>archive_root</Code> set, for a
            logical date whose data interval covers a day your archive has. Its first task creates the store schema;
            this page fills in as soon as messages are staged.
          </List.Item>
          <List.Item>
            Or <Code>fhir_communication_intake</Code> if your FHIR server holds Communications (hourly windows of{" "}
            <Code>_lastUpdated</Code>).
          </List.Item>
          <List.Item>
            Without Airflow: <Code>intakeflow stage hl7 PATH --dsn DSN</Code>, then{" "}
            <Code>intakeflow process --dsn DSN</Code>; <Code>intakeflow status</Code> prints the same counts as this
            page. <Code>make demo</Code> runs both DAGs on synthetic data.
          </List.Item>
        </List.Root>
      </Box>
      {board && board.dag_setups.length > 0 ? (
        <Box>
          <Heading as="h2" mb={2} size="md">intakeflow DAGs in this Airflow</Heading>
          <DataTable className="dags" rowKey={(d) => d.dag_id} rows={board.dag_setups} columns={[
            { cell: (d) => <AirflowLink to={airflowPaths.dag(d.dag_id)}>{d.dag_id}</AirflowLink>, heading: "DAG", key: "dag" },
            { cell: (d) => (d.paused === null ? "–" : d.paused ? "yes" : "no"), heading: "paused", key: "paused" },
            { cell: (d) => d.archive_root ?? "–", heading: "archive_root (default)", key: "archive_root" },
          ]} />
        </Box>
      ) : null}
    </Stack>
  );
};
