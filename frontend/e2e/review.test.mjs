import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, detailPanel, openFirstRow, screenshotDir, visit } from "./harness.mjs";

let app;
useSignedInApp((started) => (app = started));

const panel = () => detailPanel(app.page);
/** Opens the first row of the list at `path`; returns the action's id. */
const openFirst = (path) => openFirstRow(app, path);


async function csrf() {
  const me = await (await app.page.request.get(`${app.baseUrl}/api/v1/auth/me`)).json();
  return me.csrf_token;
}

async function statusOf(id) {
  const response = await app.page.request.get(`${app.baseUrl}/api/v1/actions/${id}`);
  return (await response.json()).status;
}

test("an email's panel shows context and history beside the draft", async () => {
  await openFirst("/?channel=email");
  const context = panel().locator(".context");
  for (const heading of ["Context & History", "Why this was proposed", "Confidence score", "Customer history"]) {
    await context.getByRole("heading", { name: heading }).waitFor();
  }
  await context.getByRole("link", { name: "View full profile" }).waitFor();
  const fields = await panel().locator(".draft dl.fields dt").allTextContents();
  assert.deepEqual(fields, ["To", "From", "Subject", "Body", "Signature"]);
  await panel().getByRole("heading", { name: "Variables" }).waitFor();
  await app.page.screenshot({ path: join(screenshotDir, "detail-email.png") });
});

test("a call's panel shows the script, tone and duration", async () => {
  await openFirst("/?channel=voice");
  const fields = await panel().locator(".draft dl.fields dt").allTextContents();
  assert.deepEqual(fields, ["To", "Script", "Tone", "Duration"]);
  await app.page.screenshot({ path: join(screenshotDir, "detail-voice.png") });
});

test("Preview shows exactly what the customer will receive", async () => {
  await openFirst("/?channel=email");
  await panel().getByRole("button", { name: "Preview" }).click();
  const preview = panel().getByRole("region", { name: "Preview" });
  await preview.waitFor();
  const text = await preview.textContent();
  assert.ok(!text.includes("{{"), `no placeholder is left: ${text}`);
  assert.match(text, /Northside team/, "the signature is appended");
});

test("Approve & Send asks for confirmation, then sends", async () => {
  const id = await openFirst("/?channel=email");
  await panel().getByRole("button", { name: "Approve & Send" }).click();
  const dialog = app.page.getByRole("dialog", { name: "Send this action now?" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Confirm & Send" }).click();
  await panel().getByText("Approved and sent.").waitFor();
  assert.equal(await statusOf(id), "approved");
});

test("Edit & Approve changes the draft in the editor, with variables from the sidebar", async () => {
  const { page } = app;
  const id = await openFirst("/?channel=email");
  await panel().getByRole("button", { name: "Edit" }).click();
  const body = panel().getByRole("textbox", { name: "Body" });
  await body.click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(" See you soon, ");
  await panel().getByRole("button", { name: "{{first_name}}" }).click();
  await panel().getByRole("button", { name: "Bold" }).waitFor();
  await page.screenshot({ path: join(screenshotDir, "editor.png") });
  await panel().getByRole("button", { name: "Save & Send" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm & Send" }).click();
  await panel().getByText("Approved and sent.").waitFor();
  const sent = await (await page.request.get(`${app.baseUrl}/api/v1/actions/${id}`)).json();
  assert.equal(sent.status, "approved");
  assert.match(sent.draft.body, /See you soon, \{\{first_name\}\}/);
  assert.ok(sent.history.some((event) => event.kind === "approved" && event.data.edit), "the edit is in the history");
});

test("Reject takes a reason and notes, and the next action opens", async () => {
  const id = await openFirst("/");
  const next = await app.page.locator("tr.action-row").nth(1).getAttribute("data-id");
  await panel().getByRole("button", { name: "Reject" }).click();
  const form = panel().getByRole("form", { name: "Reject" });
  await form.getByLabel("Reason").selectOption("poor_timing");
  await form.getByLabel("Internal notes").fill("Wait until after the holidays.");
  await form.getByRole("button", { name: "Reject" }).click();
  await panel().getByText("Rejected. The next action is open.").waitFor();
  await app.page.waitForURL(new RegExp(`open=${next}`));
  const rejected = await (await app.page.request.get(`${app.baseUrl}/api/v1/actions/${id}`)).json();
  assert.equal(rejected.decisions.rejection_reason, "poor_timing");
  assert.equal(rejected.decisions.rejection_note, "Wait until after the holidays.");
});

test("Snooze offers the preset durations", async () => {
  const id = await openFirst("/");
  await panel().getByRole("button", { name: "Snooze" }).click();
  const form = panel().getByRole("form", { name: "Snooze" });
  const presets = await form.getByRole("button").allTextContents();
  for (const label of ["1 hour", "4 hours", "1 day", "3 days"]) {
    assert.ok(presets.includes(label), label);
  }
  await form.getByLabel("Custom date and time").waitFor();
  await form.getByRole("button", { name: "4 hours" }).click();
  await panel().getByText("Snoozed.").waitFor();
  assert.equal(await statusOf(id), "snoozed");
});

test("select-all picks the whole page, and the editor's formatting buttons work", async () => {
  const { page, baseUrl } = app;
  await visit(page, baseUrl);
  await page.locator("tr.action-row").first().waitFor();
  const count = await page.locator("tr.action-row").count();
  await page.getByRole("checkbox", { name: "Select all" }).check();
  await page.getByRole("region", { name: "Bulk actions" }).getByText(`${count} selected`).waitFor();
  await page.getByRole("button", { name: "Clear selection" }).click();
  await page.getByRole("region", { name: "Bulk actions" }).waitFor({ state: "detached" });

  await openFirst("/?channel=email");
  await panel().getByRole("button", { name: "Edit" }).click();
  const body = panel().getByRole("textbox", { name: "Body" });
  await body.click();
  await page.keyboard.press("Control+A");
  await panel().getByRole("button", { name: "Bold" }).click();
  assert.match(await body.innerHTML(), /<b>|<strong>/);
  await panel().getByRole("button", { name: "Italic" }).click();
  assert.match(await body.innerHTML(), /<i>|<em>/);
  await panel().getByRole("button", { name: "Bulleted list" }).click();
  assert.match(await body.innerHTML(), /<ul>/);
  await body.click();
  await page.keyboard.press("Control+A");
  page.once("dialog", (dialog) => dialog.accept("https://northside-cowork.example/pay"));
  await panel().getByRole("button", { name: "Link" }).click();
  assert.match(await body.innerHTML(), /<a href="https:\/\/northside-cowork\.example\/pay">/);
  await panel().getByRole("button", { name: "Cancel" }).click();
});

test("Snooze until a custom date and time", async () => {
  const { page } = app;
  const id = await openFirst("/");
  await panel().getByRole("button", { name: "Snooze" }).click();
  const form = panel().getByRole("form", { name: "Snooze" });
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  tomorrow.setHours(10, 30, 0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  const local = `${tomorrow.getFullYear()}-${pad(tomorrow.getMonth() + 1)}-${pad(tomorrow.getDate())}T10:30`;
  await form.getByLabel("Custom date and time").fill(local);
  await form.getByLabel("Reminder note").fill("After the team meeting");
  await form.getByRole("button", { name: "Snooze", exact: true }).click();
  await panel().getByText("Snoozed.").waitFor();
  const snoozed = await (await page.request.get(`${app.baseUrl}/api/v1/actions/${id}`)).json();
  assert.equal(snoozed.status, "snoozed");
  assert.equal(new Date(snoozed.decisions.snoozed_until).getTime(), tomorrow.getTime(), "the local time the reviewer chose");
  assert.equal(snoozed.decisions.snooze_note, "After the team meeting");
});

test("a reviewer who decides after someone else is told what happened", async () => {
  const { page } = app;
  // Without the live stream this panel cannot learn of the other reviewer in time.
  await page.route("**/api/v1/events", (route) => route.abort());
  const id = await openFirst("/");
  const taken = await page.request.post(`${app.baseUrl}/api/v1/actions/${id}/reject`, {
    headers: { "X-CSRF-Token": await csrf() },
    data: { reason: "already_resolved" },
  });
  assert.equal(taken.status(), 200);
  await panel().getByRole("button", { name: "Approve & Send" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm & Send" }).click();
  const alert = panel().getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /Someone else got here first: this action is now Rejected/);
  await page.unroute("**/api/v1/events");
});

test("the keyboard moves, opens, selects and acts", async () => {
  const { page, baseUrl } = app;
  await visit(page, baseUrl);
  const rows = page.locator("tr.action-row");
  await rows.nth(1).waitFor();
  const second = await rows.nth(1).getAttribute("data-id");
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await page.locator('tr.action-row[aria-current="true"]').waitFor();
  assert.equal(await page.locator('tr.action-row[aria-current="true"]').getAttribute("data-id"), second);
  await page.keyboard.press("x");
  await page.getByRole("region", { name: "Bulk actions" }).getByText("1 selected").waitFor();
  await page.keyboard.press("x");
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`open=${second}`));
  await panel().getByRole("heading", { name: "Message Draft" }).waitFor();
  await page.keyboard.press("r");
  await panel().getByRole("form", { name: "Reject" }).waitFor();
  await page.keyboard.press("Escape");
  await panel().getByRole("button", { name: "Approve & Send" }).waitFor();
  await page.keyboard.press("a");
  const dialog = page.getByRole("dialog", { name: "Send this action now?" });
  await dialog.waitFor();
  const focused = () => page.evaluate(() => document.activeElement?.textContent);
  assert.equal(await focused(), "Confirm & Send", "the dialog takes the focus");
  await page.keyboard.press("Tab");
  assert.equal(await focused(), "Cancel", "Tab stays inside the dialog");
  await page.keyboard.press("Shift+Tab");
  assert.equal(await focused(), "Confirm & Send");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor({ state: "detached" });
  assert.equal(await statusOf(second), "pending", "nothing was decided");
});

test("r or s then a digit decides the open action at once, and ? lists those keys", async () => {
  const { page, baseUrl } = app;
  await visit(page, baseUrl);
  const rows = page.locator("tr.action-row");
  await rows.nth(1).waitFor();
  const [first, second] = [await rows.nth(0).getAttribute("data-id"), await rows.nth(1).getAttribute("data-id")];
  await page.keyboard.press("j");
  await page.keyboard.press("Enter");
  await page.waitForURL(new RegExp(`open=${first}`));
  await panel().getByRole("button", { name: "Approve & Send" }).waitFor();
  await page.keyboard.press("r");
  await page.keyboard.press("2");
  await page.locator(`tr.action-row[data-id="${first}"]`).waitFor({ state: "detached" });
  const rejected = await (await page.request.get(`${baseUrl}/api/v1/actions/${first}`)).json();
  assert.equal(rejected.status, "rejected");
  assert.equal(rejected.decisions.rejection_reason, "poor_timing", "r 2 is the second reason");

  await visit(page, baseUrl, `/?open=${second}`);
  await panel().getByRole("button", { name: "Approve & Send" }).waitFor();
  await page.keyboard.press("s");
  await page.keyboard.press("1");
  await page.locator(`tr.action-row[data-id="${second}"]`).waitFor({ state: "detached" });
  const snoozed = await (await page.request.get(`${baseUrl}/api/v1/actions/${second}`)).json();
  assert.equal(snoozed.status, "snoozed");
  const hours = (Date.parse(snoozed.decisions.snoozed_until) - Date.now()) / 3_600_000;
  assert.ok(hours > 0.9 && hours <= 1, `s 1 snoozes for an hour: ${hours}`);

  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  assert.match(await help.textContent(), /r then 1–6.*s then 1–5/s);
  await page.keyboard.press("Escape");
});

test("long trigger data wraps inside its column", async () => {
  const { page, baseUrl, agentKey } = app;
  const customer = (await (await page.request.get(`${baseUrl}/api/v1/actions?limit=1`)).json()).items[0].customer.id;
  const proposed = await fetch(`${baseUrl}/api/v1/actions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${agentKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      customer_id: customer, action_type: "internal_note", subject: "Long trigger data", body: "<p>Note.</p>",
      confidence: 70, priority: "medium",
      trigger: { summary: "A".repeat(300), data: { ["a_very_long_key_".repeat(6)]: "https://example.com/" + "x".repeat(200) } },
    }),
  });
  assert.equal(proposed.status, 201);
  const { id } = await proposed.json();
  await visit(page, baseUrl, `/?open=${id}`);
  const facts = panel().locator(".facts");
  await facts.waitFor();
  const overflow = await facts.evaluate((element) => element.scrollWidth - element.clientWidth);
  assert.ok(overflow <= 1, `nothing runs over: ${overflow}px`);
  const summary = await panel().locator(".trigger").evaluate((element) => element.scrollWidth - element.clientWidth);
  assert.ok(summary <= 1, `the summary wraps: ${summary}px`);
});

test("a customer's several pending actions are grouped, one click shows them side by side", async () => {
  const { page, baseUrl, agentKey } = app;
  const first = (await (await page.request.get(`${baseUrl}/api/v1/actions?limit=1`)).json()).items[0];
  const customer = first.customer;
  for (const n of [1, 2]) {
    const proposed = await fetch(`${baseUrl}/api/v1/actions`, {
      method: "POST",
      headers: { Authorization: `Bearer ${agentKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        customer_id: customer.id, action_type: "internal_note", subject: `Grouped note ${n} ${Date.now()}`,
        body: "<p>Note.</p>", confidence: 70, priority: "medium", trigger: { summary: "Grouping test" },
      }),
    });
    assert.equal(proposed.status, 201);
  }
  await visit(page, baseUrl);
  const chip = page.locator("tr.action-row .group-link").filter({ hasText: new RegExp(`^\\d+\\+? for ${customer.full_name}$`) }).first();
  await chip.waitFor();
  const count = parseInt((await chip.textContent()).split(" ")[0], 10);
  assert.ok(count >= 3, `the customer's pending actions: ${count}`);
  await chip.click();
  await page.waitForURL(new RegExp(`/customers/${customer.id}/together`));
  const columns = page.locator("article.together-column");
  await page.getByRole("heading", { name: `${count} pending for ${customer.full_name}` }).waitFor();
  assert.equal(await columns.count(), Math.min(count, 6), "each pending action side by side");
  await columns.filter({ hasText: "Grouped note 2" }).waitFor();
  await page.screenshot({ path: join(screenshotDir, "side-by-side.png") });
  await page.getByRole("button", { name: "Show them in the list" }).click();
  await page.waitForURL(/q=/);
  await page.waitForFunction(
    ([name, n]) => {
      const cells = [...document.querySelectorAll("tr.action-row td.customer")];
      return cells.length === n && cells.every((td) => td.textContent.includes(name));
    },
    [customer.full_name, count],
  );
});

test("a newly proposed action arrives live, with the pending count", async () => {
  const { page, baseUrl, agentKey } = app;
  await visit(page, baseUrl);
  await page.locator("tr.action-row").first().waitFor();
  const pending = page.getByRole("group", { name: "Pending review" }).locator(".metric-value");
  const before = Number(await pending.textContent());
  const subject = `Live arrival ${Date.now()}`;
  const customer = (await (await page.request.get(`${baseUrl}/api/v1/actions?limit=1`)).json()).items[0].customer.id;
  const proposed = await fetch(`${baseUrl}/api/v1/actions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${agentKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      customer_id: customer, action_type: "internal_note", subject, body: "<p>Arrived while you watched.</p>",
      confidence: 70, priority: "medium", trigger: { summary: "A live test" },
    }),
  });
  assert.equal(proposed.status, 201);
  await page.locator("tr.action-row").filter({ hasText: subject }).waitFor();
  await page.waitForFunction((n) => Number(document.querySelector('[aria-label="Pending review"] .metric-value')?.textContent) === n, before + 1);
});

test("bulk actions decide the selected rows and report each one", async () => {
  const { page, baseUrl } = app;
  await visit(page, baseUrl);
  const rows = page.locator("tr.action-row");
  await rows.first().waitFor();
  const ids = [await rows.nth(0).getAttribute("data-id"), await rows.nth(1).getAttribute("data-id")];
  await rows.nth(0).getByRole("checkbox").check();
  const bar = page.getByRole("region", { name: "Bulk actions" });
  // What the reviewer chose in the bar stays as they select more rows.
  await bar.getByLabel("Snooze for").selectOption("4h");
  await rows.nth(1).getByRole("checkbox").check();
  await bar.getByText("2 selected").waitFor();
  assert.equal(await bar.getByLabel("Snooze for").inputValue(), "4h");
  await page.screenshot({ path: join(screenshotDir, "bulk-bar.png") });
  await bar.getByRole("button", { name: "Bulk Approve" }).click();
  const dialog = page.getByRole("dialog");
  assert.match(await dialog.textContent(), /only for low-risk, similar actions/);
  await dialog.getByText("2 of 2 can be sent.").waitFor();
  await dialog.getByRole("button", { name: "Approve & Send all" }).waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  // Another reviewer decides one of them first: the pre-flight, and then the bulk result, say
  // which, and why.
  const taken = await page.request.post(`${baseUrl}/api/v1/actions/${ids[1]}/reject`, {
    headers: { "X-CSRF-Token": await csrf() },
    data: { reason: "poor_timing" },
  });
  assert.equal(taken.status(), 200);
  await bar.getByRole("button", { name: "Bulk Approve" }).click();
  await dialog.getByText("1 of 2 can be sent.").waitFor();
  assert.match(await dialog.locator(".bulk-failures li").textContent(), /rejected action cannot be approved/);
  await dialog.getByRole("button", { name: "Approve the 1 clean one" }).waitFor();
  await page.screenshot({ path: join(screenshotDir, "bulk-preflight.png") });
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal(await statusOf(ids[0]), "pending", "the pre-flight decided nothing");
  await bar.getByLabel("Snooze for").selectOption("1d");
  await bar.getByRole("button", { name: "Bulk Snooze" }).click();
  const toast = page.getByRole("status").filter({ hasText: "1 done." });
  await toast.waitFor();
  assert.match(await toast.locator(".bulk-failures li").textContent(), /rejected action cannot be snoozed/);
  assert.equal(await statusOf(ids[0]), "snoozed");
  assert.equal(await statusOf(ids[1]), "rejected");
});

test("the agents page shows each agent's numbers, and an admin changes its trust", async () => {
  const { page, baseUrl } = app;
  await visit(page, baseUrl, "/agents");
  const card = page.getByRole("form", { name: "Account Notes" });
  await card.waitFor();
  assert.match(await card.textContent(), /pending/);
  await page.screenshot({ path: join(screenshotDir, "agents.png") });
  await card.getByLabel("Task Reminder").check();
  await card.getByLabel(/When confidence is at least/).fill("85");
  await card.getByRole("button", { name: "Save" }).click();
  await card.getByText("Saved.").waitFor();
  const agents = await (await page.request.get(`${baseUrl}/api/v1/agents`)).json();
  const notes = agents.find((agent) => agent.name === "Account Notes");
  assert.deepEqual(notes.auto_execute.sort(), ["internal_note", "task_reminder"]);
  assert.equal(notes.auto_execute_min_confidence, 85);
});

test("an approved action shows what was sent and when; the profile link leads to the customer", async () => {
  const { page } = app;
  // The oldest, a seeded one whose message has left: those approved by earlier tests may still
  // wait out the undo window.
  await openFirst("/?status=approved&sort=created_at");
  await panel().getByRole("heading", { name: "Action history" }).waitFor();
  assert.match(await panel().locator(".decision").textContent(), /^Sent (just now|.+ ago)\.$/);
  await panel().getByRole("link", { name: "View full profile" }).click();
  await page.waitForURL(/\/customers\//);
  await page.getByRole("heading", { name: "History" }).waitFor();
  await page.getByRole("heading", { name: "Proactive actions" }).waitFor();
});

test("at tablet width the panel stacks under the list and nothing overflows", async () => {
  const { page } = app;
  await page.setViewportSize({ width: 820, height: 1180 });
  await openFirst("/?channel=voice");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(screenshotDir, "tablet-detail.png") });
  await page.setViewportSize({ width: 1440, height: 900 });
});

test("with nothing left to review, the inbox says so", async () => {
  const { page, baseUrl } = app;
  const all = await (await page.request.get(`${baseUrl}/api/v1/actions?limit=200`)).json();
  const done = await page.request.post(`${baseUrl}/api/v1/actions/bulk`, {
    headers: { "X-CSRF-Token": await csrf() },
    data: { op: "reject", ids: all.items.map((a) => a.id), reason: "prefer_manual_handling" },
  });
  assert.equal(done.status(), 200);
  await visit(page, baseUrl);
  await page.getByRole("heading", { name: "No pending actions" }).waitFor();
  assert.match(await page.locator(".empty").textContent(), /All caught up!/);
  await page.getByRole("link", { name: "Configure your AI agents" }).waitFor();
  await page.screenshot({ path: join(screenshotDir, "empty-pending.png") });
});

test("the client never panicked", () => {
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, []);
});
