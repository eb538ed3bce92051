// Small building blocks shared by the console's pages: labelled figures, tables, links.
import { Box, Link, Table, Text } from "@chakra-ui/react";
import type { ReactNode } from "react";
import { Link as RouterLink } from "react-router-dom";

/** A figure with its label; ``id`` names it for tests and scripts (``data-figure``). */
export const Figure = ({ id, label, value, hint }: { id: string; label: string; value: string; hint?: string }) => (
  <Box bg="bg.panel" borderColor="border" borderRadius="md" borderWidth={1} data-figure={id} minW="150px" px={4} py={3}
    title={hint}>
    <Text data-value fontSize="2xl" fontVariantNumeric="tabular-nums" fontWeight="semibold" lineHeight="short">{value}</Text>
    <Text color="fg.muted" data-label fontSize="sm">{label}</Text>
  </Box>
);

export interface Column<R> {
  key: string;
  heading: string;
  numeric?: boolean;
  cell: (row: R) => ReactNode;
}

/** A table whose cells carry their column's key (``data-col``) and rows ``data-row``. */
export function DataTable<R>({
  className, columns, rows, rowKey, foot, empty = "none",
}: {
  className: string; columns: Column<R>[]; rows: R[]; rowKey: (row: R) => string; foot?: R; empty?: string;
}) {
  if (rows.length === 0) return <Text color="fg.muted" fontSize="sm">{empty}</Text>;
  const cells = (row: R) =>
    columns.map((c) => (
      <Table.Cell data-col={c.key} fontVariantNumeric={c.numeric ? "tabular-nums" : undefined} key={c.key}
        textAlign={c.numeric ? "end" : "start"}>
        {c.cell(row)}
      </Table.Cell>
    ));
  return (
    <Table.ScrollArea borderColor="border" borderRadius="md" borderWidth={1}>
      <Table.Root className={className} size="sm" striped>
        <Table.Header>
          <Table.Row>
            {columns.map((c) => (
              <Table.ColumnHeader key={c.key} textAlign={c.numeric ? "end" : "start"}>{c.heading}</Table.ColumnHeader>
            ))}
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {rows.map((r) => (
            <Table.Row data-row={rowKey(r)} key={rowKey(r)}>{cells(r)}</Table.Row>
          ))}
        </Table.Body>
        {foot === undefined ? null : (
          <Table.Footer fontWeight="semibold">
            <Table.Row data-row="total">{cells(foot)}</Table.Row>
          </Table.Footer>
        )}
      </Table.Root>
    </Table.ScrollArea>
  );
}

const seg = encodeURIComponent;

/** Routes of Airflow's own UI (airflow/ui/src/router.tsx in Airflow 3.3). */
export const airflowPaths = {
  dag: (dagId: string) => `/dags/${seg(dagId)}`,
  run: (dagId: string, runId: string) => `/dags/${seg(dagId)}/runs/${seg(runId)}`,
  // the plugin's "intakeflow" tab on a DAG run (plugin.py: external view "intakeflow-run")
  runTab: (dagId: string, runId: string) => `/dags/${seg(dagId)}/runs/${seg(runId)}/plugin/intakeflow-run`,
  task: (dagId: string, runId: string, taskId: string, mapIndex: number) =>
    `/dags/${seg(dagId)}/runs/${seg(runId)}/tasks/${seg(taskId)}${mapIndex >= 0 ? `/mapped/${mapIndex}` : ""}`,
};

/** A link to a page of Airflow's UI, followed by its router (no reload). */
export const AirflowLink = ({ to, children }: { to: string; children: ReactNode }) => (
  <Link asChild color="fg.info">
    <RouterLink to={to}>{children}</RouterLink>
  </Link>
);
