// Dates and times in the store's time zone (STORE_TIME_ZONE), not the server's or the browser's.
import { afterEach, describe, expect, it } from "vitest";
import { formatDate, formatDateTime, setStoreTimeZone } from "#app/ui/time-zone.ts";

describe("times in the store's time zone", () => {
  afterEach(() => setStoreTimeZone("UTC"));
  // 20:30 UTC on 5 December is already 6 December in Tokyo and still the 5th in New York.
  const moment = new Date("2026-12-05T20:30:00Z");

  it("shows UTC by default, saying so", () => {
    expect(formatDateTime(moment)).toBe("Dec 5, 2026, 8:30 PM UTC");
    expect(formatDate(moment)).toBe("December 5, 2026");
  });

  it("moves the day and the hour with the zone, and names it", () => {
    setStoreTimeZone("Asia/Tokyo");
    expect(formatDateTime(moment)).toBe("Dec 6, 2026, 5:30 AM GMT+9");
    expect(formatDate(moment)).toBe("December 6, 2026");
    setStoreTimeZone("America/New_York");
    expect(formatDateTime(moment)).toBe("Dec 5, 2026, 3:30 PM EST");
  });
});
