// The store's days: where a day begins and ends in STORE_TIME_ZONE, as UTC
// instants the database can compare created_at with. "Today" on the
// dashboard is the shop's today, not the server's or UTC's: in Auckland the
// day starts at 11:00 UTC the day before (13:00 under daylight saving). A
// day is not always 24 hours long (a daylight-saving change makes one of 23
// or 25), so each boundary is found on its own, never by adding 86,400 s.

export type StoreDay = {
  /** "2026-12-05": the calendar date in the store's zone. */
  date: string;
  /** Unix seconds: the first second of the day, and the first of the next. */
  start: number;
  end: number;
};

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function wallClock(instantMs: number, timeZone: string) {
  let format = partsFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    partsFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instantMs).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    // The wall clock read as if it were UTC: minus the instant, the zone's offset.
    asUtcMs: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)),
  };
}

/** The instant (ms) a calendar date's midnight happens in the zone. */
function midnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  // Guess with the offset at the wall time read as UTC, then correct once with
  // the offset at the guess: right across a daylight-saving change too.
  let guess = wall - (wallClock(wall, timeZone).asUtcMs - wall);
  guess = wall - (wallClock(guess, timeZone).asUtcMs - guess);
  return guess;
}

const iso = (year: number, month: number, day: number) =>
  `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;

/**
 * The last `count` days in the store's zone, oldest first, ending with the
 * day `now` falls in (today, which has not ended yet: its `end` is tomorrow's
 * midnight).
 */
export function storeDays(now: Date, timeZone: string, count: number): StoreDay[] {
  const today = wallClock(now.getTime(), timeZone);
  const days: StoreDay[] = [];
  for (let back = count - 1; back >= 0; back--) {
    // Date.UTC rolls the day over months and years.
    const d = new Date(Date.UTC(today.year, today.month - 1, today.day - back));
    const next = new Date(Date.UTC(today.year, today.month - 1, today.day - back + 1));
    const [y, m, dd] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
    days.push({
      date: iso(y, m, dd),
      start: Math.floor(midnight(y, m, dd, timeZone) / 1000),
      end: Math.floor(midnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone) / 1000),
    });
  }
  return days;
}
