// Delivery through a real SMTP server: what Undo keeps from leaving, what Approve & Send and
// Save & Send deliver, and what the reviewer then sees of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, detailPanel, eventually, openFirstRow, screenshotDir, visit } from "./harness.mjs";

/** A short undo window, so that messages leave within the tests' patience, long enough to click
 * Undo in the toast. */
const UNDO_SECONDS = 3;

let app;
useSignedInApp((started) => (app = started), { INBOX_UNDO_SECONDS: String(UNDO_SECONDS) }, { smtp: true });

const panel = () => detailPanel(app.page);
const undoToast = () => app.page.getByRole("status", { name: "Undo send" });

async function csrf() {
  const me = await (await app.page.request.get(`${app.baseUrl}/api/v1/auth/me`)).json();
  return me.csrf_token;
}

async function actionOf(id) {
  return (await app.page.request.get(`${app.baseUrl}/api/v1/actions/${id}`)).json();
}

/** Approve & Send on the open action, confirmed in the dialog. */
async function approveOpen() {
  await panel().getByRole("button", { name: "Approve & Send" }).click();
  await app.page.getByRole("dialog", { name: "Send this action now?" }).getByRole("button", { name: "Confirm & Send" }).click();
}

/** The messages the SMTP server received for `recipient`. */
const receivedBy = (recipient) => app.smtp.messages.filter((message) => message.rcptTos.includes(recipient));

/** Waits until the delivery worker recorded the action's message as sent; returns the action. */
const deliveredAction = (id) =>
  eventually(`the delivery of ${id} to be recorded as sent`, async () => {
    const action = await actionOf(id);
    return action.delivery?.state === "sent" && action;
  });

test("Undo within the window: nothing reaches the SMTP server and the action is back in Pending", async () => {
  const { page, baseUrl } = app;
  const id = await openFirstRow(app, "/?channel=email");
  await approveOpen();
  await undoToast().getByRole("button", { name: "Undo" }).click();
  await page.getByRole("status").filter({ hasText: "Undone: back in Pending" }).waitFor();

  // A task approved after the undo leaves after the undone message would have: once the worker
  // has sent it, it has passed the undone message's time too.
  const [task] = (await (await page.request.get(`${baseUrl}/api/v1/actions?action_type=task_reminder&limit=1`)).json()).items;
  assert.ok(task, "the demo has a pending task");
  const approved = await page.request.post(`${baseUrl}/api/v1/actions/${task.id}/approve`, {
    headers: { "X-CSRF-Token": await csrf() },
    data: {},
  });
  assert.equal(approved.status(), 200);
  await deliveredAction(task.id);

  assert.deepEqual(app.smtp.messages, [], "nothing was sent by email");
  const undone = await actionOf(id);
  assert.equal(undone.status, "pending");
  assert.equal(undone.delivery, null, "no delivery is waiting");
  assert.ok(!undone.history.some((event) => event.kind === "sent"));
  await page.locator(`tr.action-row[data-id="${id}"]`).waitFor();
  await panel().getByRole("button", { name: "Approve & Send" }).waitFor();
});

test("Approve & Send delivers by SMTP; the Sent page and the history show the Message-ID it arrived with", async () => {
  const { page, baseUrl } = app;
  const id = await openFirstRow(app, "/?channel=email");
  const { draft } = await actionOf(id);
  assert.ok(draft.to, "an email has a recipient");
  await approveOpen();
  await undoToast().waitFor();

  const [received] = await eventually(`a message to ${draft.to}`, () => receivedBy(draft.to).length > 0 && receivedBy(draft.to));
  const messageId = received.headers["message-id"];
  assert.ok(messageId, "the message has a Message-ID");
  assert.equal(received.headers.to, draft.to);
  const { delivery } = await deliveredAction(id);
  assert.equal(delivery.provider_id, messageId, "the delivery records the Message-ID that arrived");
  assert.equal(receivedBy(draft.to).length, 1, "sent once");

  await visit(page, baseUrl, "/sent");
  const row = page.getByRole("list", { name: "Sent messages" }).locator(`button[data-id="${delivery.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Email · Sent/);
  await row.click();
  const message = page.getByRole("region", { name: "Sent message" });
  await message.waitFor();
  assert.match(await message.locator("dl").textContent(), new RegExp(`State\\s*Sent.*Message-ID\\s*${literally(messageId)}`, "s"));

  await visit(page, baseUrl, `/?status=approved&open=${id}`);
  const sentEntry = panel().locator("ol.events > li").filter({ hasText: /^Sent · system/ });
  await sentEntry.waitFor();
  assert.equal(await fact(sentEntry, "To"), draft.to);
  assert.equal(await fact(sentEntry, "Subject"), delivery.subject);
  assert.equal(await fact(sentEntry, "Message-ID"), messageId);
  const facts = panel().getByRole("region", { name: "Delivery" });
  assert.equal(await fact(facts, "Message-ID"), messageId, "the delivery section shows it too");
  await sentEntry.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshotDir, "history-sent.png") });
});

test("Save & Send offers Undo too, and delivers the edited message", async () => {
  const { page } = app;
  const id = await openFirstRow(app, "/?channel=email");
  const { draft } = await actionOf(id);
  const before = receivedBy(draft.to).length;
  await panel().getByRole("button", { name: "Edit" }).click();
  const body = panel().getByRole("textbox", { name: "Body" });
  await body.click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(" See you soon.");
  await panel().getByRole("button", { name: "Save & Send" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Confirm & Send" }).click();
  await undoToast().waitFor();
  assert.match(await undoToast().textContent(), /Sent · Undo \(\d+ s\)/);

  await eventually(`the edited message to ${draft.to}`, () => receivedBy(draft.to).length > before);
  const sent = await deliveredAction(id);
  assert.match(sent.draft.body, /See you soon\./);
  assert.ok(sent.history.some((event) => event.kind === "approved" && event.data.edit), "the edit is in the history");
});

test("the client never panicked", () => {
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, []);
});

/** The value of the `name` line of the first name–value list inside `scope`. */
async function fact(scope, name) {
  return scope.locator(`dl > dt:text-is("${name}") + dd`).first().textContent();
}

function literally(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
