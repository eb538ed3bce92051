// The JSON of /intakeflow/api/console/dashboard (plugins/monitoring/console.py).

export type Row = Record<string, number | string | null>;

export interface Wait {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  state: string;
  operator: string | null;
  since: string | null;
  until: string | null;
  archive_root: string | null;
  day_folders: string[];
  root_exists: boolean | null;
}

export interface DagSetup {
  dag_id: string;
  paused: boolean | null;
  archive_root: string | null;
  root_exists: boolean | null;
}

/** A backlog check's verdict on one source (intakeflow.health.checks.check_backlog, E120). */
export interface BacklogCheck {
  check: "backlog";
  subject: string;
  firing: boolean;
  code: string;
  title: string;
  figures: {
    queued: number;
    failed: number;
    claimed: number;
    oldest_queued_s: number | null;
    idle_s: number | null;
    running: boolean;
  };
  thresholds: { backlog_age_s: number | null };
}

/** A firing alert as the watchdog DAG left it in the store (E120 to E124). */
export interface FiringAlert {
  key: string;
  check: string;
  subject: string;
  code: string;
  title: string;
  /** the catalogue's sentence with the alert's figures ("E120: 3 messages of source mllp wait, ...") */
  sentence: string;
  state: "firing";
  fired_at: string;
  figures: Record<string, unknown>;
  thresholds: Record<string, number | null>;
}

/** The watchdog panel (plugins/monitoring/watchdog.py; console.py adds titles, sentences, ``stale``). */
export interface Watchdog {
  backlog: BacklogCheck[];
  alerts: FiringAlert[];
  /** the watchdog's last check; null: it never ran (or ``migrated`` is false) */
  checked_at: string | null;
  age_s: number | null;
  migrated: boolean;
  /** the last check is older than ``stale_after_s``: the watchdog DAG is paused or failing */
  stale: boolean;
  stale_after_s: number;
  dag_id: string;
}

export interface Board {
  schema: string;
  schemas: string[];
  dags: string[];
  store: { condition: "missing" | "outdated" | "empty" | "ready"; version: number | null };
  store_conn_id: string;
  airflow_error: string | null;
  airflow_available: boolean;
  archive_default: string | null;
  archive_default_exists: boolean | null;
  waits: Wait[];
  dag_setups: DagSetup[];
  legend: { state: string; meaning: string }[];
  // present when store.condition is "ready"
  dag_id?: string | null;
  period?: { start: string; end: string; bucket_s: number; bucket_name: string };
  timeline?: { t: string; received: number; saved: number }[];
  channels?: Row[];
  totals?: Record<string, number | string | null>;
  backlog?: Row[];
  intents?: Row[];
  phi?: Row[];
  insurance?: Row[];
  quarantine?: Row[];
  latency?: Row[];
  runs?: Row[];
  watchdog?: Watchdog;
}

/** What the API answered: the board, or why there is none (``unreachable``: a 503). */
export type Answer =
  | { kind: "board"; board: Board }
  | { kind: "unreachable"; detail: string }
  | { kind: "error"; status: number; detail: string };

/** A URL of the monitoring app, resolved against Airflow's <base href> (sub-path deployments). */
export const appUrl = (path: string, params?: URLSearchParams): string => {
  const url = new URL(`intakeflow/${path}`, document.baseURI);
  if (params) url.search = params.toString();
  return url.toString();
};

export async function fetchBoard(params: URLSearchParams, signal: AbortSignal): Promise<Answer> {
  const resp = await fetch(appUrl("api/console/dashboard", params), {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  });
  if (resp.ok) return { kind: "board", board: (await resp.json()) as Board };
  let detail = resp.statusText;
  try {
    const body = (await resp.json()) as { detail?: unknown };
    if (body.detail !== undefined) detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch {
    // not JSON: keep the status text
  }
  return resp.status === 503 ? { kind: "unreachable", detail } : { kind: "error", status: resp.status, detail };
}
