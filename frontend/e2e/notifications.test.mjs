import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, detailPanel, eventually, screenshotDir, visit } from "./harness.mjs";

let app;
useSignedInApp((started) => (app = started));

/** Proposes an action as the demo agent (its API key) for the first listed customer. */
async function propose(app, fields) {
  const { page, baseUrl, agentKey } = app;
  const customer = (await (await page.request.get(`${baseUrl}/api/v1/actions?limit=1`)).json()).items[0].customer;
  const proposed = await page.request.post(`${baseUrl}/api/v1/actions`, {
    headers: { Authorization: `Bearer ${agentKey}` },
    data: {
      customer_id: customer.id, action_type: "draft_message", channel: "email",
      body: "<p>Could you settle it this week?</p>", confidence: 90, priority: "medium",
      trigger: { summary: "Notification test" }, ...fields,
    },
  });
  assert.equal(proposed.status(), 201, await proposed.text());
  return { action: await proposed.json(), customer };
}

test("a reviewer's notification settings are kept, field errors shown, and email links revoked", async () => {
  const { page, baseUrl } = app;
  await page.context().grantPermissions(["notifications"], { origin: baseUrl });
  await visit(page, baseUrl, "/settings");
  const form = page.getByRole("form", { name: "Notifications" });
  await form.getByLabel("Digest email").selectOption("daily");
  await form.getByLabel("Hour", { exact: true }).selectOption("9");
  await form.getByLabel("Email me each critical action as it arrives").check();
  await form.getByLabel("Browser notifications while the inbox is in a background tab").check();
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByText("Saved.").waitFor();
  const saved = await (await page.request.get(`${baseUrl}/api/v1/me/notifications`)).json();
  assert.deepEqual(
    { digest: saved.digest, digest_hour: saved.digest_hour, critical_email: saved.critical_email, browser: saved.browser },
    { digest: "daily", digest_hour: 9, critical_email: true, browser: true },
  );

  // A fresh load shows what was saved.
  await visit(page, baseUrl, "/settings");
  await form.waitFor();
  assert.equal(await form.getByLabel("Digest email").inputValue(), "daily");
  assert.equal(await form.getByLabel("Hour", { exact: true }).inputValue(), "9");
  assert.ok(await form.getByLabel("Email me each critical action as it arrives").isChecked());
  assert.ok(await form.getByLabel("Browser notifications while the inbox is in a background tab").isChecked());
  assert.ok(!(await form.getByLabel("Email me when an action is about to expire").isChecked()));

  // Out of range: the server's field error shows beside the field, and nothing changes.
  await form.getByLabel("Hours before expiry").fill("100");
  await form.getByRole("button", { name: "Save" }).click();
  await form.locator(".field-error", { hasText: "72" }).waitFor();
  const unchanged = await (await page.request.get(`${baseUrl}/api/v1/me/notifications`)).json();
  assert.equal(unchanged.expiring_window_hours, 4);
  await form.getByText("Not saved: correct the fields marked in red.").waitFor();
  await form.getByLabel("Hours before expiry").fill("4");
  await form.getByRole("button", { name: "Save" }).click();
  await form.getByText("Saved.").waitFor();
  assert.equal(await form.locator(".field-error").count(), 0, "the error went with the mistake");

  await page.getByRole("button", { name: "Revoke all my email links" }).click();
  await page.getByText("Every link you were sent no longer works.").waitFor();
});

test("the metrics bar counts what expires soon and leads to it, soonest first, each row marked", async () => {
  const { page, baseUrl } = app;
  const expiresAt = new Date(Date.now() + 2 * 3600 * 1000).toISOString();
  const { action } = await propose(app, { subject: "Renewal closes in two hours", expires_at: expiresAt });
  const metrics = await (await page.request.get(`${baseUrl}/api/v1/metrics`)).json();
  assert.ok(metrics.expiring_soon >= 1, JSON.stringify(metrics));

  await visit(page, baseUrl, "/");
  const tile = page.getByRole("link", { name: /Expiring soon/ });
  await tile.waitFor();
  await eventually("the count of what expires soon", async () => (await tile.locator(".metric-value").textContent()) === String(metrics.expiring_soon));
  await tile.click();
  await page.waitForURL(/[?&]expires_to=[^&]+&sort=expires_at/);
  // The bound is an instant: the date box shows its UTC day and the time stands beside it.
  const until = new Date(new URL(page.url()).searchParams.get("expires_to"));
  const expiresTo = page.getByRole("search", { name: "Filters" }).locator("label", { hasText: "Expires from" }).locator("xpath=following-sibling::label[1]");
  assert.equal(await expiresTo.locator("input[type=date]").inputValue(), until.toISOString().slice(0, 10));
  assert.equal(await expiresTo.locator(".bound-time").textContent(), `${until.toISOString().slice(11, 16)} UTC`);
  const row = page.locator(`tr.action-row[data-id="${action.id}"]`);
  await row.waitFor();
  assert.match(await row.locator(".badge.expiring-soon").textContent(), /^Expires in (1h 5\d|2h)/);
  const listed = await page.locator("tr.action-row").count();
  assert.equal(listed, metrics.expiring_soon, "the list holds exactly what the bar counts");
  assert.equal(await page.locator("tr.action-row .badge.expiring-soon").count(), listed, "every row is marked");
  const expiries = await page.locator("tr.action-row td:last-child").evaluateAll((cells) => cells.map((cell) => cell.title));
  assert.deepEqual(expiries, [...expiries].sort(), "soonest first");
  await page.screenshot({ path: join(screenshotDir, "expiring-soon.png") });
});

test("a new action shows a browser notification while the inbox is in a background tab, and a click opens it", async () => {
  const { page, baseUrl } = app;
  // Records what the app notifies (permission granted), and lets the test hide the page.
  await page.addInitScript(() => {
    window.__notifications = [];
    function RecordedNotification(title, options = {}) {
      const shown = { title, body: options.body, tag: options.tag, onclick: null, closed: false };
      shown.close = () => { shown.closed = true; };
      window.__notifications.push(shown);
      return shown;
    }
    Object.defineProperty(RecordedNotification, "permission", { get: () => "granted" });
    RecordedNotification.requestPermission = (callback) => {
      callback?.("granted");
      return Promise.resolve("granted");
    };
    window.Notification = RecordedNotification;
    window.__setHidden = (hidden) => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
      document.dispatchEvent(new Event("visibilitychange"));
    };
  });
  await visit(page, baseUrl, "/");
  await page.locator("tr.action-row").first().waitFor();
  const recorded = () => page.evaluate(() => window.__notifications.map(({ title, body, tag }) => ({ title, body, tag })));

  // In sight, a new action only joins the list.
  const { action: seen } = await propose(app, { subject: "Seen in the open tab" });
  await page.locator(`tr.action-row[data-id="${seen.id}"]`).waitFor();
  assert.deepEqual(await recorded(), [], "no notification while the inbox is in sight");

  // In a background tab, a new critical action is notified with its subject and customer.
  await page.evaluate(() => window.__setHidden(true));
  const { action, customer } = await propose(app, {
    subject: "Invoice #{{invoice_number}} is 30 days overdue",
    variables: { invoice_number: "4711" },
    priority: "critical",
  });
  const [notification] = await eventually("a browser notification", async () => {
    const shown = await recorded();
    return shown.length > 0 && shown;
  });
  assert.equal(notification.title, "Critical action for review");
  assert.equal(notification.tag, action.id);
  assert.match(notification.body, /^Invoice #4711 is 30 days overdue\n/);
  assert.ok(notification.body.includes(customer.full_name), notification.body);
  assert.ok(notification.body.includes(action.agent.name), notification.body);

  // A click brings the tab forward with the action open.
  await page.evaluate(() => {
    window.__setHidden(false);
    window.__notifications[0].onclick();
  });
  await page.waitForURL(new RegExp(`open=${action.id}`));
  await detailPanel(page).getByRole("heading", { name: "Message Draft" }).waitFor();
  assert.ok(await page.evaluate(() => window.__notifications[0].closed), "the notification was closed");
  assert.equal((await recorded()).length, 1, "one notification for one new action");
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, [], "the client never panicked");
});

test("an admin sets the team channel's webhook beside the safeguards, and can clear it", async () => {
  const { page, baseUrl } = app;
  const webhook = "http://127.0.0.1:9/services/T000/B000/XXXX";
  await visit(page, baseUrl, "/agents");
  const safeguards = page.getByRole("form", { name: "Review safeguards" });
  const field = safeguards.getByLabel("Team channel webhook (Slack-compatible)");
  await field.fill(webhook);
  await safeguards.getByRole("button", { name: "Save" }).click();
  await safeguards.getByText("Saved.").waitFor();
  assert.equal((await (await page.request.get(`${baseUrl}/api/v1/settings`)).json()).slack_webhook_url, webhook);
  await visit(page, baseUrl, "/agents");
  assert.equal(await field.inputValue(), webhook, "kept across a fresh load");
  await field.fill("");
  await safeguards.getByRole("button", { name: "Save" }).click();
  await safeguards.getByText("Saved.").waitFor();
  assert.equal((await (await page.request.get(`${baseUrl}/api/v1/settings`)).json()).slack_webhook_url, null);
});

test("the email about the critical action is listed under Recent notices, and its Approve link decides it", async () => {
  const { page, baseUrl } = app;
  // The first test asked for an email about each critical action; the harness's server
  // composes notices every second.
  const notice = await eventually("the critical action's notice", async () => {
    const notices = await (await page.request.get(`${baseUrl}/api/v1/me/notices`)).json();
    return notices.find((n) => n.kind === "critical" && n.subject.includes("Invoice #4711"));
  });
  await visit(page, baseUrl, "/settings");
  const item = page.locator("ul.notices li", { hasText: notice.subject });
  await item.waitFor();
  assert.match(await item.textContent(), /Critical action/);
  await item.locator("summary").click();
  assert.equal(await item.locator("pre.notice-body").textContent(), notice.body_text);
  await page.screenshot({ path: join(screenshotDir, "settings.png"), fullPage: true });

  // Decided from the email: the action's history says so.
  const approveLink = notice.body_text.match(/Approve:\s*(\S+)/)?.[1];
  const id = notice.body_text.match(/[?&]open=([0-9a-f-]{36})/)?.[1];
  assert.ok(approveLink && id, notice.body_text);
  const fromEmail = await page.context().newPage();
  await fromEmail.goto(approveLink);
  await fromEmail.locator("form button[type=submit], form button").first().click();
  await fromEmail.getByText(/^Approved\./).waitFor();
  await fromEmail.close();
  await visit(page, baseUrl, `/?status=approved&open=${id}`);
  // By name, as people read it: the reviewer the email was sent to.
  await detailPanel(page).locator("ol.events li", { hasText: /^Approved from email · Demo Reviewer · / }).waitFor();
});
