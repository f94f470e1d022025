import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, detailPanel, openFirstRow, screenshotDir, visit } from "./harness.mjs";

let app;
useSignedInApp((started) => (app = started));

const panel = () => detailPanel(app.page);
/** Opens the first row of the list at `path`; returns the action's id. */
const openFirst = (path) => openFirstRow(app, path);
const undoToast = () => app.page.getByRole("status", { name: "Undo send" });


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

test("the client never panicked", () => {
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, []);
});
