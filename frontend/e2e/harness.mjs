import { before, after } from "node:test";
// Starts the real `inbox` server on a fresh, seeded SQLite database and a headless Chromium.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const binary = process.env.INBOX_BIN ?? join(root, "target/debug/inbox");
const spaDir = process.env.INBOX_SPA_DIR ?? join(root, "target/spa");
export const screenshotDir = join(root, "target/screenshots");

// Chromium in a closed network: no background services that would try to reach the internet.
const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A seeded server and a browser page; `close()` stops both and removes their files.
 * `serverEnv` adds settings for the server, such as `INBOX_UNDO_SECONDS`. */
export async function start(serverEnv = {}) {
  const workDir = mkdtempSync(join(tmpdir(), "inbox-e2e-"));
  const env = {
    RUST_LOG: "warn",
    ...process.env,
    ...serverEnv,
    DATABASE_URL: `sqlite://${join(workDir, "inbox.db")}?mode=rwc`,
  };
  const seeded = execFileSync(binary, ["seed", "--demo"], { env, encoding: "utf8" });
  const agentKey = seeded.match(/inbox_key_\S+/)?.[0];
  const server = spawn(binary, ["serve", "--bind", "127.0.0.1:0", "--spa-dir", spaDir, "--workers", "1"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const baseUrl = await new Promise((resolveUrl, reject) => {
    let seen = "";
    server.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) resolveUrl(match[1]);
    });
    server.on("exit", (code) => reject(new Error(`inbox serve exited with ${code} before listening`)));
  });
  const context = await chromium.launchPersistentContext(join(workDir, "profile"), {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(new Error(message.text()));
  });
  mkdirSync(screenshotDir, { recursive: true });
  return {
    baseUrl,
    agentKey,
    page,
    pageErrors,
    async close() {
      await context.close();
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolveExit) => server.once("exit", resolveExit));
        server.kill("SIGTERM");
        // After a browser session the server drains for up to 30 s before it exits, and the test
        // file waits for it; the tests need no graceful stop.
        const impatient = setTimeout(() => server.kill("SIGKILL"), 2000);
        await exited;
        clearTimeout(impatient);
      }
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Opens `path` and steps past the introduction screen, which every fresh load shows. */
export async function visit(page, baseUrl, path = "/") {
  await page.goto(`${baseUrl}${path}`);
  const intro = page.getByRole("button", { name: "Go to the inbox" });
  await intro.waitFor();
  await intro.click();
}

/** Signs in through the form as the demo reviewer. */
export async function signIn(page, password = "demo-reviewer") {
  await page.getByLabel("Email").fill("reviewer@demo.example");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** A server (with `serverEnv`, see `start`) with the demo reviewer signed in and past the
 * introduction. */
export async function startSignedIn(serverEnv = {}) {
  const app = await start(serverEnv);
  await app.page.goto(`${app.baseUrl}/`);
  await signIn(app.page);
  await app.page.getByRole("button", { name: "Go to the inbox" }).waitFor();
  return app;
}

/** The split panel of the open action. */
export function detailPanel(page) {
  return page.getByRole("complementary", { name: "Action detail" });
}

/** Opens the first row of the list at `path`; returns the action's id. */
export async function openFirstRow(app, path) {
  const { page, baseUrl } = app;
  await visit(page, baseUrl, path);
  const row = page.locator("tr.action-row").first();
  await row.waitFor();
  const id = await row.getAttribute("data-id");
  await row.locator("button.row-link").click();
  await detailPanel(page).getByRole("heading", { name: "Message Draft" }).waitFor();
  await page.waitForURL(new RegExp(`open=${id}`));
  return id;
}

/** Registers hooks that start a signed-in app (with `serverEnv`, see `start`) before the file's
 * tests and close it after; `set` receives the app. */
export function useSignedInApp(set, serverEnv = {}) {
  let app;
  before(async () => {
    app = await startSignedIn(serverEnv);
    set(app);
  });
  after(async () => {
    await app?.close();
  });
}
