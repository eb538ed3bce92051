// Numbers, durations and times as the console shows them. Times are in the timezone the user
// chose in Airflow's UI (its "timezone" setting in localStorage), as Airflow's own pages show them.

const TIMEZONE_KEY = "timezone";

export const airflowTimezone = (): string => {
  const fallback = Intl.DateTimeFormat().resolvedOptions().timeZone;
  try {
    const raw = globalThis.localStorage?.getItem(TIMEZONE_KEY);
    if (!raw) return fallback;
    let zone: unknown = raw;
    try {
      zone = JSON.parse(raw);
    } catch {
      // stored unquoted
    }
    if (typeof zone !== "string") return fallback;
    new Intl.DateTimeFormat("en", { timeZone: zone }); // throws on an unknown zone
    return zone;
  } catch {
    return fallback;
  }
};

const parts = (iso: string, timeZone: string) => {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
};

/** ``YYYY-MM-DD HH:mm:ss TZ``, the form Airflow's tables use. */
export const dateTime = (iso: string | null | undefined, timeZone: string): string => {
  if (!iso) return "–";
  const p = parts(iso, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`;
};

/** ``YYYY-MM-DDTHH:mm`` in ``timeZone``: the value of a datetime-local input showing ``iso``. */
export const wallTime = (iso: string, timeZone: string): string => {
  const p = parts(iso, timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
};

const offsetMs = (utcMs: number, timeZone: string): number => {
  const p = parts(new Date(utcMs).toISOString(), timeZone);
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(utcMs / 1000) * 1000;
};

/** The instant (ISO, UTC) of a wall time ``YYYY-MM-DDTHH:mm`` in ``timeZone``. */
export const instantOf = (wall: string, timeZone: string): string => {
  const [day, time = "00:00"] = wall.split("T");
  const [y, m, d] = day.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const guess = Date.UTC(y, m - 1, d, h, mi);
  // twice: the offset at the guess may differ from the offset at the answer (DST changes)
  const first = guess - offsetMs(guess, timeZone);
  return new Date(guess - offsetMs(first, timeZone)).toISOString();
};

/** An axis label: the day alone for day buckets, else month-day and time. */
export const tick = (iso: string, bucketS: number, timeZone: string): string => {
  const p = parts(iso, timeZone);
  return bucketS % 86400 === 0 ? `${p.year}-${p.month}-${p.day}` : `${p.month}-${p.day} ${p.hour}:${p.minute}`;
};

export const count = (value: number | string | null | undefined): string =>
  value === null || value === undefined ? "–" : Number(value).toLocaleString("en-US");

export const decimal = (value: number | string | null | undefined, digits = 2): string =>
  value === null || value === undefined
    ? "–"
    : Number(value).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const percent = (share: number | string | null | undefined): string =>
  share === null || share === undefined ? "–" : `${(Number(share) * 100).toFixed(1)}%`;

/** A duration as a person says it; the same words as the server-rendered page (html.age). */
export const age = (seconds: number | string | null | undefined): string => {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.max(0, Math.trunc(Number(seconds)));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.trunc(s / 60)} min`;
  if (s < 86400) return `${Math.trunc(s / 3600)} h ${Math.trunc((s % 3600) / 60)} min`;
  return `${Math.trunc(s / 86400)} d ${Math.trunc((s % 86400) / 3600)} h`;
};
