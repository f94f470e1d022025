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

/** The headers of a raw message, names in lower case, folded lines unfolded. */
function headersOf(raw) {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, " ");
  const headers = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] ??= line.slice(colon + 1).trim();
  }
  return headers;
}

/** An SMTP server (Python's aiosmtpd, `just smtp` installs it) on a free port that keeps what it
 * receives: `url` for `INBOX_SMTP_URL`; `messages`, each `{ mailFrom, rcptTos, headers, data }`
 * in the order they arrived; `close()` stops it. */
export async function startSmtp() {
  const sink = spawn("python3", [join(root, "frontend/e2e/smtp_sink.py")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const messages = [];
  const port = await new Promise((resolvePort, reject) => {
    let seen = "";
    sink.stdout.on("data", (chunk) => {
      seen += chunk;
      let newline;
      while ((newline = seen.indexOf("\n")) >= 0) {
        const line = seen.slice(0, newline);
        seen = seen.slice(newline + 1);
        const listening = line.match(/^listening on (\d+)$/);
        if (listening) {
          resolvePort(Number(listening[1]));
        } else if (line.trim()) {
          const { mail_from: mailFrom, rcpt_tos: rcptTos, data } = JSON.parse(line);
          messages.push({ mailFrom, rcptTos, headers: headersOf(data), data });
        }
      }
    });
    sink.on("exit", (code) => reject(new Error(`the SMTP server exited with ${code} before listening (is aiosmtpd installed? just smtp)`)));
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async close() {
      if (sink.exitCode === null && sink.signalCode === null) {
        const exited = new Promise((resolveExit) => sink.once("exit", resolveExit));
        sink.kill("SIGTERM");
        await exited;
      }
    },
  };
}

/** Polls `check` until it returns something truthy (and returns that), failing with `what`
 * after `timeoutMs`. */
export async function eventually(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await check();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** A seeded server and a browser page; `close()` stops both and removes their files.
 * `serverEnv` adds settings for the server, such as `INBOX_UNDO_SECONDS`; with `smtp: true` the
 * server sends email to an SMTP server of its own, `app.smtp` (see `startSmtp`). */
export async function start(serverEnv = {}, { smtp: withSmtp = false } = {}) {
  const smtp = withSmtp ? await startSmtp() : undefined;
  try {
    return await startServer(serverEnv, smtp);
  } catch (error) {
    await smtp?.close();
    throw error;
  }
}

async function startServer(serverEnv, smtp) {
  const workDir = mkdtempSync(join(tmpdir(), "inbox-e2e-"));
  const env = {
    RUST_LOG: "warn",
    // Notices composed and sent every second, not every 30: a test waits for one.
    INBOX_NOTICE_SECONDS: "1",
    ...process.env,
    ...serverEnv,
    ...(smtp ? { INBOX_SMTP_URL: smtp.url } : {}),
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
  const otherBrowsers = [];
  return {
    baseUrl,
    agentKey,
    page,
    pageErrors,
    smtp,
    /** A second reviewer, `name` <`email`>, added to the demo location and signed in to a
     * browser of their own (another person at another desk); returns their page. */
    async anotherReviewer(email, name) {
      const password = "another-reviewer";
      execFileSync(binary, ["user", "create", "--location", "demo", "--email", email, "--name", name, "--role", "reviewer"], {
        env,
        input: `${password}\n`,
      });
      const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true, args: chromiumFlags });
      otherBrowsers.push(browser);
      const other = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
      other.on("pageerror", (error) => pageErrors.push(error));
      await other.goto(`${baseUrl}/`);
      await other.getByLabel("Email").fill(email);
      await other.getByLabel("Password").fill(password);
      await other.getByRole("button", { name: "Sign in" }).click();
      await other.getByRole("button", { name: "Go to the inbox" }).waitFor();
      return other;
    },
    async close() {
      for (const browser of otherBrowsers) await browser.close();
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
      await smtp?.close();
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

/** A server (with `serverEnv` and `options`, see `start`) with the demo reviewer signed in and
 * past the introduction. */
export async function startSignedIn(serverEnv = {}, options = {}) {
  const app = await start(serverEnv, options);
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

/** Registers hooks that start a signed-in app (with `serverEnv` and `options`, see `start`)
 * before the file's tests and close it after; `set` receives the app. */
export function useSignedInApp(set, serverEnv = {}, options = {}) {
  let app;
  before(async () => {
    app = await startSignedIn(serverEnv, options);
    set(app);
  });
  after(async () => {
    await app?.close();
  });
}
