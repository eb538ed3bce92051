// The intakeflow console, an Airflow 3 react_apps plugin. Airflow's UI imports this bundle and
// renders its default export inside its own layout, with its Chakra provider (theme, colour mode)
// and router; the filters live in the page's query string, so a view can be linked to.
import { Alert, Box, Spinner, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";
import { useSearchParams } from "react-router-dom";

import { type Answer, type Board, fetchBoard } from "./api";
import { Dashboard } from "./Dashboard";
import { airflowTimezone, dateTime } from "./format";
import { Guide } from "./Guide";

/** The props Airflow's UI passes to a react_apps component (its route's parameters). */
export interface PluginProps {
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: string;
}

const FORWARDED = ["dag_id", "schema", "hours", "start", "end"];
const REFRESH_S = 30;
// the last figures read, kept at module level: Airflow's UI may mount the component afresh when
// the address changes, and a refused request (say, a period over the limit) should keep them
let lastBoard: Board | null = null;

const Console = (_props: PluginProps) => {
  const [params, setParams] = useSearchParams();
  const [answer, setAnswer] = useState<Answer | { kind: "loading" } | { kind: "failed"; detail: string }>({
    kind: "loading",
  });
  const query = new URLSearchParams();
  for (const k of FORWARDED) {
    const v = params.get(k);
    if (v) query.set(k, v);
  }
  const key = query.toString();
  // live counts: read again every REFRESH_S while the page is shown (the last figures stay meanwhile)
  const [round, setRound] = useState(0);
  const [updated, setUpdated] = useState<string | null>(null);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") setRound((r) => r + 1);
    }, REFRESH_S * 1000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    const abort = new AbortController();
    fetchBoard(new URLSearchParams(key), abort.signal)
      .then((a) => {
        setAnswer(a);
        if (a.kind === "board") lastBoard = a.board;
        setUpdated(new Date().toISOString());
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setAnswer({ kind: "failed", detail: e instanceof Error ? e.message : String(e) });
      });
    return () => abort.abort();
  }, [key, round]);

  const timeZone = airflowTimezone();
  const schema = params.get("schema") ?? "";
  let body;
  if (answer.kind === "loading") {
    body = <Spinner aria-label="loading" size="lg" />;
  } else if (answer.kind === "board" || (answer.kind === "error" && lastBoard)) {
    // a refused request (say, a period over the limit) keeps the last figures and the filters
    const board = answer.kind === "board" ? answer.board : lastBoard!;
    body = (
      <>
        {answer.kind === "error" ? (
          <Alert.Root data-panel="request-refused" mb={4} status="error">
            <Alert.Indicator />
            <Alert.Description>Not shown: {answer.detail} ({answer.status}). The figures below are the last ones read.</Alert.Description>
          </Alert.Root>
        ) : null}
        {board.store.condition === "ready" ? (
          <Dashboard board={board} params={params} setParams={(p) => setParams(p)} timeZone={timeZone} />
        ) : (
          <Guide board={board} schema={board.schema} />
        )}
      </>
    );
  } else if (answer.kind === "unreachable") {
    body = <Guide schema={schema || "intakeflow"} unreachable={answer.detail} />;
  } else {
    const detail = answer.kind === "error" ? `${answer.status}: ${answer.detail}` : answer.detail;
    body = (
      <Alert.Root data-panel="request-failed" status="error">
        <Alert.Indicator />
        <Alert.Description>The console's figures could not be read ({detail}).</Alert.Description>
      </Alert.Root>
    );
  }
  return (
    <Box className="intakeflow-console" data-console="intakeflow" maxW="1600px" p={4}>
      {body}
      {updated && answer.kind !== "loading" ? (
        <Text color="fg.muted" data-note="updated" fontSize="xs" mt={6}>
          Read {dateTime(updated, timeZone)}; read again every {REFRESH_S} s while this page is shown.
        </Text>
      ) : null}
    </Box>
  );
};

export default Console;
