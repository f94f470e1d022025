import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, detailPanel, openFirstRow, screenshotDir, visit } from "./harness.mjs";

/** The server's undo window: longer than its 10 s default, so that a countdown above 10 s shows
 * the toast follows the server's `deliver_at`, and a delivery stays `scheduled` while a test
 * looks at it. */
const UNDO_SECONDS = 30;

let app;
useSignedInApp((started) => (app = started), { INBOX_UNDO_SECONDS: String(UNDO_SECONDS) });

const panel = () => detailPanel(app.page);
/** Opens the first row of the list at `path`; returns the action's id. */
const openFirst = (path) => openFirstRow(app, path);
const undoToast = () => app.page.getByRole("status", { name: "Undo send" });

/** The seconds the undo toast counts down from now. */
async function secondsLeft() {
  const text = await undoToast().textContent();
  const match = text.match(/· Undo \((\d+) s\)/);
  assert.ok(match, `a countdown in seconds: ${text}`);
  return Number(match[1]);
}

async function csrf() {
  const me = await (await app.page.request.get(`${app.baseUrl}/api/v1/auth/me`)).json();
  return me.csrf_token;
}

/** Approve & Send on the open action, confirmed in the dialog. */
async function approveOpen() {
  await panel().getByRole("button", { name: "Approve & Send" }).click();
  await app.page.getByRole("dialog", { name: "Send this action now?" }).getByRole("button", { name: "Confirm & Send" }).click();
}

async function statusOf(id) {
  const response = await app.page.request.get(`${app.baseUrl}/api/v1/actions/${id}`);
  return (await response.json()).status;
}

test("Approve & Send shows the undo toast; Undo puts the action back in Pending", async () => {
  const { page } = app;
  const id = await openFirst("/?channel=email");
  await approveOpen();
  await undoToast().waitFor();
  assert.match(await undoToast().textContent(), /Sent · Undo \(\d+ s\)/);
  const left = await secondsLeft();
  assert.ok(left > 10 && left <= UNDO_SECONDS, `counts down the server's window, not 10 s: ${left}`);
  await page.screenshot({ path: join(screenshotDir, "undo-toast.png") });
  await undoToast().getByRole("button", { name: "Undo" }).click();
  await page.getByRole("status").filter({ hasText: "Undone: back in Pending" }).waitFor();
  assert.equal(await statusOf(id), "pending");
  await page.locator(`tr.action-row[data-id="${id}"]`).waitFor();
  await panel().getByRole("button", { name: "Approve & Send" }).waitFor();
});

test("the z key undoes the last send while the toast shows", async () => {
  const { page } = app;
  const id = await openFirst("/?channel=email");
  await approveOpen();
  await undoToast().waitFor();
  await page.keyboard.press("z");
  await page.getByRole("status").filter({ hasText: "Undone: back in Pending" }).waitFor();
  assert.equal(await statusOf(id), "pending");
});

test("the Sent page lists an approved message and shows its body isolated", async () => {
  const { page, baseUrl } = app;
  const id = await openFirst("/?channel=email");
  await approveOpen();
  await panel().getByText("Approved and sent.").waitFor();
  const outbox = await (await page.request.get(`${baseUrl}/api/v1/deliveries`)).json();
  const delivery = outbox.items.find((item) => item.action_id === id);
  assert.ok(delivery, "the approval is in the outbox");
  assert.ok(delivery.subject, "an email has a subject");

  await visit(page, baseUrl, "/sent");
  const list = page.getByRole("list", { name: "Sent messages" });
  const row = list.locator(`button[data-id="${delivery.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), new RegExp(delivery.subject.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await row.click();
  const message = page.getByRole("region", { name: "Sent message" });
  await message.waitFor();
  const frame = message.locator("iframe");
  assert.equal(await frame.getAttribute("sandbox"), "");
  const body = message.frameLocator("iframe").locator("body");
  await body.locator("p, div, br").first().waitFor();
  assert.ok(!(await body.textContent()).includes("{{"), "the body is rendered");
  await page.screenshot({ path: join(screenshotDir, "sent.png") });
});

test("an approved row shows where its delivery stands, and the Delivery filter narrows the list", async () => {
  const { page, baseUrl } = app;
  const [next] = (await (await page.request.get(`${baseUrl}/api/v1/actions?channel=email&limit=1`)).json()).items;
  const approved = await page.request.post(`${baseUrl}/api/v1/actions/${next.id}/approve`, {
    headers: { "X-CSRF-Token": await csrf() },
    data: {},
  });
  assert.equal(approved.status(), 200);

  await visit(page, baseUrl, "/?status=approved");
  await page.locator("tr.action-row").first().waitFor();
  const filter = page.getByRole("search", { name: "Filters" }).getByLabel("Delivery");
  await filter.selectOption("scheduled");
  await page.waitForURL(/status=approved&delivery_state=scheduled/);
  const row = page.locator(`tr.action-row[data-id="${next.id}"]`);
  await row.waitFor();
  assert.equal(await row.locator(".badge.delivery-scheduled").textContent(), "Scheduled");
  const states = await page.locator("tr.action-row .badge[class*=delivery-]").allTextContents();
  assert.ok(states.length > 0 && states.every((state) => state === "Scheduled"), states.join(", "));
  await page.screenshot({ path: join(screenshotDir, "delivery-filter.png") });

  await row.locator("button.row-link").click();
  const delivery = panel().getByRole("region", { name: "Delivery" });
  await delivery.waitFor();
  assert.match(await delivery.textContent(), /Delivery\s*Scheduled\s*Leaves\s*in \d+s/);
  assert.equal(await delivery.getByRole("button", { name: "Retry delivery" }).count(), 0, "only a failed one is retried");
  await page.screenshot({ path: join(screenshotDir, "delivery-detail.png") });

  await filter.selectOption("failed");
  await page.getByRole("heading", { name: "No results found" }).waitFor();
  await page.getByRole("tab", { name: /^Pending/ }).click();
  await page.locator("tr.action-row").first().waitFor();
  assert.doesNotMatch(page.url(), /delivery_state/, "pending actions have no delivery to filter by");
  assert.equal(await page.getByRole("search", { name: "Filters" }).getByLabel("Delivery").count(), 0);
});

test("Bulk Approve offers Undo for the batch; Undo puts them back in Pending", async () => {
  const { page, baseUrl } = app;
  await visit(page, baseUrl, "/?channel=email");
  const rows = page.locator("tr.action-row");
  await rows.nth(1).waitFor();
  const ids = [await rows.nth(0).getAttribute("data-id"), await rows.nth(1).getAttribute("data-id")];
  await rows.nth(0).getByRole("checkbox").check();
  await rows.nth(1).getByRole("checkbox").check();
  const bar = page.getByRole("region", { name: "Bulk actions" });
  await bar.getByText("2 selected").waitFor();
  await bar.getByRole("button", { name: "Bulk Approve" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Approve & Send all" }).click();
  await undoToast().waitFor();
  assert.match(await undoToast().textContent(), /^2 sent · Undo \(\d+ s\)/);
  const left = await secondsLeft();
  assert.ok(left > 10 && left <= UNDO_SECONDS, `counts down the server's window, not 10 s: ${left}`);
  for (const id of ids) assert.equal(await statusOf(id), "approved");

  await page.keyboard.press("z");
  await page.getByRole("status").filter({ hasText: "Undone: 2 back in Pending." }).waitFor();
  for (const id of ids) assert.equal(await statusOf(id), "pending");
  await page.locator(`tr.action-row[data-id="${ids[0]}"]`).waitFor();
});

test("the client never panicked", () => {
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, []);
});
