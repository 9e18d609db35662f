// Amounts are integers in the currency's minor unit everywhere (cents for usd
// or eur, whole yen for jpy: the unit Stripe charges in), and this is the one
// place they become text or are read from text. The store sells in one
// currency, STORE_CURRENCY; an order keeps the currency it was placed in.

// Stripe's zero-decimal currencies (docs.stripe.com/currencies), minus UGX,
// which Stripe treats as a special case (amounts times 100).
const STRIPE_ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "vnd", "vuv", "xaf", "xof", "xpf"]);
// Stripe's special cases, where what Stripe expects is not what the currency's
// decimals say (Intl shows isk and huf with no decimals; Stripe wants them
// times 100, and twd and huf in whole units for payouts).
const STRIPE_SPECIAL = new Set(["isk", "huf", "twd", "ugx"]);

/**
 * Why a currency code cannot be the store's, or null if it can: an ISO 4217
 * code whose minor unit is cents (2 decimals) or none (0), on which this
 * machine's Intl and Stripe agree. Three-decimal currencies (bhd, kwd, …)
 * and Stripe's special cases are refused rather than charged wrongly.
 */
export function currencyProblem(code: string): string | null {
  if (!/^[a-z]{3}$/.test(code) || !Intl.supportedValuesOf("currency").includes(code.toUpperCase())) {
    return "must be an ISO 4217 currency code, like usd, eur or jpy";
  }
  const digits = new Intl.NumberFormat("en-US", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits;
  if (STRIPE_SPECIAL.has(code) || (digits !== 2 && digits !== 0) || (digits === 0) !== STRIPE_ZERO_DECIMAL.has(code)) {
    return "is not supported: the store takes currencies with two decimals (usd, eur, gbp…) or none (jpy, krw…), see docs/payments.md";
  }
  return null;
}

/** How many decimals the currency's minor unit has: 2 for usd (cents), 0 for jpy. */
export function minorDigits(currency: string): 0 | 2 {
  return STRIPE_ZERO_DECIMAL.has(currency.toLowerCase()) ? 0 : 2;
}

// How a currency's amounts are written, learnt once from Intl: what comes
// before and after the digits (for amounts at or above zero, and below), the
// group and decimal marks, and the decimals. formatPrice writes every price
// from it, so it needs no Intl.NumberFormat where the shape was handed over: a
// browser's first NumberFormat loads ICU's number data, ~55 ms of one
// unbroken task on this machine and ×4 under Lighthouse's phone throttling,
// in the middle of hydrating the first price (docs/benchmarks.md#lighthouse).
// The root loader sends the store currency's shape with the page.
export type PriceShape = {
  digits: 0 | 2;
  /** Text before and after the digits: ["$", ""], ["CHF\u00a0", ""]. */
  positive: [string, string];
  negative: [string, string];
  group: string;
  decimal: string;
};

const shapes = new Map<string, PriceShape>();

/** Intl's en-US currency format with the currency's minor digits: what formatPrice writes. */
function intlFormat(currency: string, digits: number) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The shape of `currency`'s amounts, from Intl (en-US, the store's locale) on first use. */
export function priceShape(currency: string): PriceShape {
  const code = currency.toLowerCase();
  let shape = shapes.get(code);
  if (!shape) {
    const digits = minorDigits(code);
    const intl = intlFormat(code, digits);
    const around = (value: number): [string, string] => {
      const parts = intl.formatToParts(value);
      const first = parts.findIndex((p) => p.type === "integer");
      const last = parts.findLastIndex((p) => p.type === "integer" || p.type === "fraction");
      const text = (from: number, to: number) => parts.slice(from, to).map((p) => p.value).join("");
      return [text(0, first), text(last + 1, parts.length)];
    };
    const parts = intl.formatToParts(1234567.5);
    shape = {
      digits,
      positive: around(1),
      negative: around(-1),
      group: parts.find((p) => p.type === "group")?.value ?? ",",
      decimal: parts.find((p) => p.type === "decimal")?.value ?? ".",
    };
    shapes.set(code, shape);
  }
  return shape;
}

// The pages' currency when a call names none. Like the time zone
// (app/ui/time-zone.ts), the root route's Layout sets it from the settings
// before any page renders, the same on the server and in the browser, with
// its shape from the server's loader (above).
let storeCurrency = "usd";

export function setStoreCurrency(currency: string, shape?: PriceShape) {
  storeCurrency = currency;
  if (shape) shapes.set(currency.toLowerCase(), shape);
}

/** The currency set by setStoreCurrency, for a page's price fields. */
export function getStoreCurrency(): string {
  return storeCurrency;
}

/** "$12.50", "€12.50", "¥1,250": `amount` in the currency's minor unit, as Intl's en-US format writes it. */
export function formatPrice(amount: number, currency: string = storeCurrency): string {
  const shape = priceShape(currency);
  // Minor units are whole numbers; anything else is rounded as Intl would.
  if (!Number.isSafeInteger(amount)) {
    return intlFormat(currency, shape.digits).format(amount / 10 ** shape.digits);
  }
  const [before, after] = amount < 0 || Object.is(amount, -0) ? shape.negative : shape.positive;
  const units = Math.abs(amount);
  const scale = 10 ** shape.digits;
  const whole = String(Math.floor(units / scale)).replace(/\B(?=(\d{3})+$)/g, shape.group);
  const fraction = shape.digits === 0 ? "" : shape.decimal + String(units % scale).padStart(shape.digits, "0");
  return before + whole + fraction + after;
}

/** "12", "12.5", "$1,250.00" → 1250 (usd); "1,800" → 1800 (jpy); null if it is not a price. */
export function parsePrice(input: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const decimals = digits === 0 ? "" : `(?:\\.(\\d{1,${digits}}))?`;
  const match = new RegExp(`^[$€£¥₩]?\\s*(\\d{1,3}(?:,\\d{3})+|\\d+)${decimals}$`).exec(input.trim());
  if (!match) return null;
  const amount = Number(match[1]!.replaceAll(",", "")) * 10 ** digits + Number((match[2] ?? "0").padEnd(digits, "0") || "0");
  return Number.isSafeInteger(amount) ? amount : null;
}

/** An amount as the price field shows it: "12.50" (usd), "1800" (jpy). */
export function priceInputValue(amount: number, currency: string): string {
  const digits = minorDigits(currency);
  return (amount / 10 ** digits).toFixed(digits);
}
