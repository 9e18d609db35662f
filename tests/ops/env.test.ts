// The environment the store reads at startup (app/core/env.server.ts).
import { describe, expect, it } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { parseEnv, paymentProvider, publicUrl, weakSecret } from "#app/core/env.server.ts";

describe("environment defaults", () => {
  it("finish a graceful stop before `docker stop` sends SIGKILL (10 s unless told otherwise)", () => {
    for (const NODE_ENV of ["production", "development"]) {
      const config = parseEnv({ NODE_ENV });
      // A second to spare for closing the database after the last response.
      expect(config.SHUTDOWN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS).toBeLessThanOrEqual(9_000);
    }
  });

  it("listen on this machine only in development, on every interface in production (the image)", () => {
    expect(parseEnv({ NODE_ENV: "development" }).HOST).toBe("127.0.0.1");
    expect(parseEnv({}).HOST).toBe("127.0.0.1");
    expect(parseEnv({ NODE_ENV: "production", SESSION_SECRETS: randomBytes(32).toString("hex") }).HOST).toBe("0.0.0.0");
    expect(parseEnv({ NODE_ENV: "development", HOST: "0.0.0.0" }).HOST).toBe("0.0.0.0");
  });
});

describe("what the shop says about itself", () => {
  it("ships to the countries named by code, in any case, once each; refuses a code that is not a country", () => {
    expect(parseEnv({}).SHIP_TO_COUNTRIES).toEqual(["US", "CA", "GB", "IE", "FR", "DE", "NL", "AU", "NZ"]);
    expect(parseEnv({ SHIP_TO_COUNTRIES: " gb, de ,GB" }).SHIP_TO_COUNTRIES).toEqual(["GB", "DE"]);
    expect(() => parseEnv({ SHIP_TO_COUNTRIES: "GB,XY" })).toThrow('SHIP_TO_COUNTRIES has "XY", not an ISO 3166-1 alpha-2 country code');
    expect(() => parseEnv({ SHIP_TO_COUNTRIES: "ZZ" })).toThrow('SHIP_TO_COUNTRIES has "ZZ"');
    expect(() => parseEnv({ SHIP_TO_COUNTRIES: " , " })).toThrow("SHIP_TO_COUNTRIES must name at least one country");
  });

  it("shows times in an IANA time zone, UTC unless told", () => {
    expect(parseEnv({}).STORE_TIME_ZONE).toBe("UTC");
    expect(parseEnv({ STORE_TIME_ZONE: "Europe/London" }).STORE_TIME_ZONE).toBe("Europe/London");
    expect(() => parseEnv({ STORE_TIME_ZONE: "Mars/Olympus" })).toThrow("STORE_TIME_ZONE must be an IANA time zone");
  });

  it("has a name, and a contact address only if it is one", () => {
    expect(parseEnv({}).STORE_NAME).toBe("Corner Store");
    expect(parseEnv({ STORE_CONTACT_EMAIL: "hello@shop.example" }).STORE_CONTACT_EMAIL).toBe("hello@shop.example");
    expect(() => parseEnv({ STORE_CONTACT_EMAIL: "hello" })).toThrow("STORE_CONTACT_EMAIL must be an email address");
  });
});

describe("TRUST_PROXY", () => {
  it("takes true, false, a number of proxies, or addresses and subnets", () => {
    expect(parseEnv({ TRUST_PROXY: "1" }).TRUST_PROXY).toBe(1);
    expect(parseEnv({ TRUST_PROXY: "true" }).TRUST_PROXY).toBe(true);
    expect(parseEnv({ TRUST_PROXY: "loopback, 10.0.0.0/8, fd00::/8" }).TRUST_PROXY).toBe("loopback, 10.0.0.0/8, fd00::/8");
  });

  it.each(["TRUE", "yes", "1.2.3.4/99", "10.0.0.0/8/8", "proxy.example"])("refuses %j before anything is opened", (value) => {
    expect(() => parseEnv({ TRUST_PROXY: value })).toThrow("TRUST_PROXY must be true, false, the number of proxies, or their addresses or subnets");
  });
});

describe("the session secrets in production", () => {
  const production = (secrets: Record<string, string>) => () => parseEnv({ NODE_ENV: "production", ...secrets });
  const fresh = () => randomBytes(32).toString("hex");

  it("never refuse a random secret: hex of 16 or 32 bytes, base64, UUIDs (5,000 of each)", () => {
    const makers = [() => fresh(), () => randomBytes(16).toString("hex"), () => randomBytes(24).toString("base64"), () => randomUUID()];
    for (const make of makers) {
      for (let i = 0; i < 5_000; i++) {
        const secret = make();
        expect(weakSecret(secret), secret).toBeNull();
      }
    }
  });

  it("accept what `openssl rand -hex 32` (or base64) makes, and a list to rotate with, newest first", () => {
    const [newest, older] = [fresh(), randomBytes(32).toString("base64")];
    expect(production({ SESSION_SECRETS: newest })().SESSION_SECRETS).toEqual([newest]);
    expect(production({ SESSION_SECRETS: `${newest}, ${older}` })().SESSION_SECRETS).toEqual([newest, older]);
    // The one-secret name earlier versions read still works.
    expect(production({ SESSION_SECRET: older })().SESSION_SECRETS).toEqual([older]);
  });

  it.each([
    ["the development default", "dev-only-secret-do-not-use-in-production", "is the public development secret"],
    ["the development default in capitals", "Dev-Only-Secret-Do-Not-Use-In-Production", "is the public development secret"],
    ["a placeholder", "please-change-this-to-a-long-random-value", "looks like a placeholder"],
    ["the alphabet", "abcdefghijklmnopqrstuvwxyz0123456789", "holds a run like abcdefg or 1234567"],
    ["a short one", fresh().slice(0, 31), "is shorter than 32 characters"],
    ["one letter, 64 times", "a".repeat(64), "has too little variety to be random"],
    ["a pattern", "0123456789abcdef0123456789abcdef", "repeats itself, so it is not random"],
  ])("refuse %s, naming the variable and the fix but never the value", (_name, secret, reason) => {
    expect(production({ SESSION_SECRETS: secret })).toThrow(`SESSION_SECRETS ${reason}: generate one with \`openssl rand -hex 32\``);
    expect(production({ SESSION_SECRETS: secret })).not.toThrow(secret);
  });

  it("check every secret of a rotation list, and refuse both names at once", () => {
    expect(production({ SESSION_SECRETS: `${fresh()},${"b".repeat(40)}` })).toThrow("(secret 2 of 2)");
    expect(production({ SESSION_SECRETS: fresh(), SESSION_SECRET: fresh() })).toThrow("SESSION_SECRETS and SESSION_SECRET are both set");
  });

  it("leave development with a default, so `npm run dev` needs no setup", () => {
    expect(parseEnv({}).SESSION_SECRETS).toEqual(["dev-only-secret-do-not-use-in-production"]);
  });
});

describe("PUBLIC_URL, the address every absolute link starts with", () => {
  const production = (PUBLIC_URL?: string) => parseEnv({ NODE_ENV: "production", SESSION_SECRETS: randomBytes(32).toString("hex"), PUBLIC_URL });

  it("is the origin, written the one way the URL standard writes it", () => {
    expect(production("https://shop.example.com").PUBLIC_URL).toBe("https://shop.example.com");
    expect(production("https://shop.example.com/").PUBLIC_URL).toBe("https://shop.example.com");
    expect(production(" HTTPS://Shop.Example.COM:443/ ").PUBLIC_URL).toBe("https://shop.example.com");
    expect(production("http://192.0.2.7:8080").PUBLIC_URL).toBe("http://192.0.2.7:8080");
    expect(production("http://[2001:db8::1]:3000/").PUBLIC_URL).toBe("http://[2001:db8::1]:3000");
  });

  it("is http://localhost:<PORT> in development unless set", () => {
    expect(parseEnv({}).PUBLIC_URL).toBe("http://localhost:3000");
    expect(parseEnv({ NODE_ENV: "development", PORT: "4100" }).PUBLIC_URL).toBe("http://localhost:4100");
    expect(parseEnv({ NODE_ENV: "development", PUBLIC_URL: "https://dev.example" }).PUBLIC_URL).toBe("https://dev.example");
  });

  it("is required in production by what makes links (the server at startup), with one line saying what to set", () => {
    const config = production(undefined);
    expect(() => publicUrl(config)).toThrow(
      "Invalid environment: PUBLIC_URL is required in production: the address people use to reach the store, like https://shop.example.com",
    );
    expect(publicUrl(production("https://shop.example.com/"))).toBe("https://shop.example.com");
  });

  it.each([
    "shop.example.com",
    "localhost:3000",
    "ftp://shop.example.com",
    "javascript:alert(1)",
    "https://",
    "https://shop.example.com/store",
    "https://shop.example.com//",
    "https://shop.example.com/?",
    "https://shop.example.com?ref=1",
    "https://shop.example.com/#top",
    "https://owner:secret@shop.example.com",
  ])("refuses %j in every mode, naming the variable and the form it takes", (value) => {
    const message = "PUBLIC_URL must be the store's address: http(s)://host[:port], with no path, query or fragment";
    expect(() => production(value)).toThrow(message);
    expect(() => parseEnv({ PUBLIC_URL: value })).toThrow(message);
  });
});

describe("payment settings", () => {
  const secret = randomBytes(32).toString("hex");
  it("chooses manual by default and Stripe when both keys are set; half a Stripe set-up is refused", () => {
    const manual = parseEnv({});
    expect([paymentProvider(manual), manual.STORE_CURRENCY, manual.PAYMENT_HOLD_MINUTES, manual.PAYMENT_SWEEP_SECONDS]).toEqual(["manual", "usd", 30, 60]);
    expect(paymentProvider(parseEnv({ STRIPE_SECRET_KEY: "sk_test_a", STRIPE_WEBHOOK_SECRET: "whsec_b" }))).toBe("stripe");
    for (const NODE_ENV of ["development", "production"]) {
      expect(() => parseEnv({ NODE_ENV, SESSION_SECRETS: secret, STRIPE_SECRET_KEY: "sk_live_a" })).toThrow(
        "STRIPE_WEBHOOK_SECRET is required too: set both Stripe keys, or neither for manual payment",
      );
      expect(() => parseEnv({ NODE_ENV, SESSION_SECRETS: secret, STRIPE_WEBHOOK_SECRET: "whsec_b" })).toThrow("STRIPE_SECRET_KEY is required too");
    }
  });

  it("takes a currency with two decimals or none in any case, and a hold Stripe accepts", () => {
    expect(parseEnv({ STORE_CURRENCY: "EUR" }).STORE_CURRENCY).toBe("eur");
    expect(parseEnv({ STORE_CURRENCY: "jpy" }).STORE_CURRENCY).toBe("jpy");
    expect(parseEnv({ STORE_CURRENCY: " KRW " }).STORE_CURRENCY).toBe("krw");
    expect(() => parseEnv({ STORE_CURRENCY: "xyz" })).toThrow("STORE_CURRENCY must be an ISO 4217 currency code");
    expect(() => parseEnv({ STORE_CURRENCY: "dollars" })).toThrow("STORE_CURRENCY must be an ISO 4217 currency code");
    // Three decimals, and the currencies where Stripe's unit is not the one Intl shows: refused, not charged wrongly.
    for (const code of ["bhd", "kwd", "isk", "huf", "twd", "ugx"]) {
      expect(() => parseEnv({ STORE_CURRENCY: code }), code).toThrow(`STORE_CURRENCY is not supported`);
    }
    expect(() => parseEnv({ PAYMENT_HOLD_MINUTES: "29" })).toThrow("PAYMENT_HOLD_MINUTES");
    expect(() => parseEnv({ PAYMENT_HOLD_MINUTES: "1441" })).toThrow("PAYMENT_HOLD_MINUTES");
  });

  it("points the Stripe client only at this machine (a test double), never elsewhere", () => {
    expect(parseEnv({ STRIPE_API_BASE: "http://127.0.0.1:4242" }).STRIPE_API_BASE).toBe("http://127.0.0.1:4242");
    expect(() => parseEnv({ STRIPE_API_BASE: "https://evil.example" })).toThrow("STRIPE_API_BASE must be http(s)://127.0.0.1:<port>");
  });
});
