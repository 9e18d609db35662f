// Dates and times are shown in the store's time zone (STORE_TIME_ZONE), on
// both sides and the same in the server's HTML and in the browser, whatever
// zone the browser is in. The root route's loader sends the setting and its
// Layout calls setStoreTimeZone before any page renders (a parent renders
// before its children), so the formatters below need no argument. On the
// server the value is one setting for the whole process, so requests cannot
// see each other's.
let zone = "UTC";
const formats = new Map<string, { dateTime: Intl.DateTimeFormat; date: Intl.DateTimeFormat }>();

export function setStoreTimeZone(timeZone: string) {
  zone = timeZone;
}

function formatsFor(timeZone: string) {
  let found = formats.get(timeZone);
  if (!found) {
    found = {
      dateTime: new Intl.DateTimeFormat("en-US", {
        year: "numeric",
        month: "short",
        day: "numeric",
        hour: "numeric",
        minute: "2-digit",
        timeZone,
        timeZoneName: "short",
      }),
      date: new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone }),
    };
    formats.set(timeZone, found);
  }
  return found;
}

/** "Dec 5, 2026, 9:30 AM GMT+1": a moment, with the zone it is shown in. */
export function formatDateTime(date: Date): string {
  return formatsFor(zone).dateTime.format(date);
}

/** "December 5, 2026": the day it was in the store's time zone. */
export function formatDate(date: Date): string {
  return formatsFor(zone).date.format(date);
}

// Made on first use, as the ones above: the browser's first DateTimeFormat
// loads its time zone data, 50 to 300 ms under Lighthouse's 4× slowdown, and
// this module runs on every page (the root imports it) while few show a day.
let dayFormat: Intl.DateTimeFormat | undefined;

/**
 * "Sat, Dec 5": a calendar date ("2026-12-05") that is already the store's
 * day (app/core/store-days.ts), so it is read in UTC and never shifted again.
 */
export function formatDay(date: string): string {
  dayFormat ??= new Intl.DateTimeFormat("en-US", { weekday: "short", month: "short", day: "numeric", timeZone: "UTC" });
  return dayFormat.format(new Date(`${date}T00:00:00Z`));
}
