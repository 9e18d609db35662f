import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig, devices } from "@playwright/test";

// The browser tests run the production build on a fresh database of their
// own. Values go through process.env so the test workers see the same ones.
process.env.E2E_DATABASE_PATH ??= join(mkdtempSync(join(tmpdir(), "store-e2e-")), "store.db");
process.env.E2E_PORT ??= String(20_000 + Math.floor(Math.random() * 20_000));
// The shoppers' inbox: an SMTP server the store sends to, keeping each message as a file.
process.env.E2E_SMTP_PORT ??= String(Number(process.env.E2E_PORT) + 1);
process.env.E2E_MAIL_DIR ??= join(mkdtempSync(join(tmpdir(), "store-e2e-mail-")), "inbox");

// The browser reaches the store as http://store.test:<port>, a name it maps
// to 127.0.0.1 itself: to a browser that is a remote site over plain HTTP,
// as a store on a LAN or behind a missing TLS proxy is, not localhost (which
// browsers treat as secure and would hide cookie mistakes on).
export const STORE_HOST = "store.test";
const baseURL = `http://${STORE_HOST}:${process.env.E2E_PORT}`;

// Use the system Chromium when there is one (CI, Debian); otherwise the
// browser `npx playwright install chromium` puts in Playwright's cache.
const executablePath =
  process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);

// Journeys run twice: with JavaScript (React Router's client navigation and
// fetch-based form posts) and without (plain HTML forms and full page
// loads). Specs named *.js.spec.ts test what only exists with JavaScript:
// focus moves, pending buttons.
export default defineConfig({
  testDir: "tests/e2e",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? "line" : "list",
  timeout: 30_000,
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath,
      args: [
        `--host-resolver-rules=MAP ${STORE_HOST} 127.0.0.1`,
        // Root in a container cannot use Chromium's sandbox.
        ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "javascript", use: { ...devices["Desktop Chrome"], javaScriptEnabled: true } },
    {
      name: "no-javascript",
      use: { ...devices["Desktop Chrome"], javaScriptEnabled: false },
      testIgnore: /\.js\.spec\.ts$/,
    },
  ],
  webServer: [
    {
      command: "node tests/e2e/smtp-sink.ts",
      port: Number(process.env.E2E_SMTP_PORT),
      reuseExistingServer: false,
      env: { E2E_SMTP_PORT: process.env.E2E_SMTP_PORT, E2E_MAIL_DIR: process.env.E2E_MAIL_DIR },
    },
    {
      command: "node build/server/server.js",
      url: `http://127.0.0.1:${process.env.E2E_PORT}/health/ready`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        NODE_ENV: "production",
        HOST: "127.0.0.1",
        PORT: process.env.E2E_PORT,
        DATABASE_PATH: process.env.E2E_DATABASE_PATH,
        SEED_DEMO_DATA: "true",
        SESSION_SECRETS: "9e3c1a7f5d2b8e4c0a6f3d9b7e1c5a2f8d4b0e6c3a9f7d1b5e2c8a4f0d6b3e97",
        // Where the browser finds the store: sign-in links start here.
        PUBLIC_URL: baseURL,
        // The journeys post and order far more from one address than a shopper.
        RATE_LIMIT_POSTS: "0/1",
        RATE_LIMIT_ORDERS: "0/1",
        RATE_LIMIT_LOOKUP_FAILURES: "0/1",
        STORE_CONTACT_EMAIL: "hello@corner-store.test",
        // Email goes to the inbox above (docs/email.md).
        SMTP_URL: `smtp://127.0.0.1:${process.env.E2E_SMTP_PORT}?requireTLS=false`,
        MAIL_FROM: "Corner Store <orders@store.test>",
        MAIL_POLL_MS: "100",
      },
    },
  ],
});
