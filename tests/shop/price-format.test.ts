// formatPrice writes amounts from a shape learnt once from Intl (app/core/money.ts), so the
// browser can format the store currency's prices without an Intl.NumberFormat of its own.
// It must write exactly what Intl writes: the server's HTML and the browser's render are
// compared character by character when a page hydrates.
import { afterEach, describe, expect, it, vi } from "vitest";
import { currencyProblem } from "#app/core/money.ts";

const AMOUNTS = [0, 1, 5, 99, 100, 101, 999, 1000, 1050, 12345, 99999, 100000, 123456, 1234567, 98765432, 1000000000, 123456789012];
// Every currency the store accepts (STORE_CURRENCY): two decimals or none.
const CURRENCIES = Intl.supportedValuesOf("currency")
  .map((c) => c.toLowerCase())
  .filter((c) => currencyProblem(c) === null);

/** money.ts fresh, as a browser loads it: no shapes learnt yet. */
const freshMoney = async () => {
  vi.resetModules();
  return import("#app/core/money.ts");
};

afterEach(() => vi.unstubAllGlobals());

describe("formatPrice", () => {
  it("writes what Intl's en-US currency format writes, for every accepted currency, above and below zero", async () => {
    const { formatPrice, minorDigits } = await freshMoney();
    expect(CURRENCIES.length).toBeGreaterThan(100);
    expect(CURRENCIES).toEqual(expect.arrayContaining(["usd", "eur", "gbp", "jpy", "krw", "chf", "cad"]));
    for (const currency of CURRENCIES) {
      const digits = minorDigits(currency);
      const intl = new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
      for (const amount of [...AMOUNTS, ...AMOUNTS.map((a) => -a)]) {
        expect(`${currency} ${amount}: ${formatPrice(amount, currency)}`).toBe(`${currency} ${amount}: ${intl.format(amount / 10 ** digits)}`);
      }
    }
    // A few written out, so a change in Intl itself shows here too.
    expect([formatPrice(1250, "usd"), formatPrice(123456, "eur"), formatPrice(1250, "jpy"), formatPrice(-1250, "usd"), formatPrice(1250, "chf")]).toEqual([
      "$12.50",
      "€1,234.56",
      "¥1,250",
      "-$12.50",
      "CHF\u00a012.50",
    ]);
  });

  it("needs no Intl.NumberFormat in a browser that was handed the store currency's shape", async () => {
    const server = await freshMoney();
    const shape = server.priceShape("eur");
    const expected = [0, 1800, 123456, -1800].map((a) => server.formatPrice(a, "eur"));

    const browser = await freshMoney();
    // The page's root data travels as JSON.
    browser.setStoreCurrency("eur", JSON.parse(JSON.stringify(shape)));
    vi.stubGlobal("Intl", { ...Intl, NumberFormat: vi.fn(() => {
      throw new Error("Intl.NumberFormat called");
    }) });
    expect([0, 1800, 123456, -1800].map((a) => browser.formatPrice(a))).toEqual(expected);
    expect(expected).toEqual(["€0.00", "€18.00", "€1,234.56", "-€18.00"]);
    // Another currency (an old order's) still works, through Intl.
    vi.unstubAllGlobals();
    expect(browser.formatPrice(1800, "usd")).toBe("$18.00");
  });

  it("rounds an amount that is not a whole number of minor units as Intl does", async () => {
    const { formatPrice } = await freshMoney();
    expect(formatPrice(1234.5, "usd")).toBe("$12.35");
    expect(formatPrice(1234.4, "jpy")).toBe("¥1,234");
  });
});
