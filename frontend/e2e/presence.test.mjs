import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, detailPanel, eventually, openFirstRow, screenshotDir, visit } from "./harness.mjs";

let app;
useSignedInApp((started) => (app = started));

/** The demo reviewer's session sends this with every change. */
async function csrf(page, baseUrl) {
  const me = await (await page.request.get(`${baseUrl}/api/v1/auth/me`)).json();
  return me.csrf_token;
}

test("two reviewers: one sees the other's lease appear and go, live, and is asked before deciding", async () => {
  const { page, baseUrl } = app;
  const ana = await app.anotherReviewer("ana@demo.example", "Ana Lopez");
  await visit(ana, baseUrl, "/");
  await ana.locator("tr.action-row").first().waitFor();
  const anasBadges = ana.locator(".badge.presence");
  assert.equal(await anasBadges.count(), 0, "nobody is reviewing yet");

  // The demo reviewer opens an action: Ana's list shows it without a reload.
  const id = await openFirstRow(app, "/");
  const anasRow = ana.locator(`tr.action-row[data-id="${id}"]`);
  await anasRow.locator(".badge.presence", { hasText: "Demo Reviewer is reviewing" }).waitFor();
  await ana.screenshot({ path: join(screenshotDir, "presence-row.png") });

  // Ana opens it too: the panel says who is on it, and a decision asks first.
  await anasRow.locator("button.row-link").click();
  const anasPanel = detailPanel(ana);
  await anasPanel.getByRole("status").filter({ hasText: "Demo Reviewer is reviewing this action." }).waitFor();
  assert.equal(
    await anasRow.locator(".badge.presence").count(),
    1,
    "Ana's own lease request did not take it from the demo reviewer",
  );
  await anasPanel.getByRole("button", { name: "Reject", exact: true }).click();
  await anasPanel.getByRole("form", { name: "Reject" }).getByRole("button", { name: "Reject" }).click();
  const ask = ana.getByRole("dialog", { name: "Demo Reviewer is reviewing this — decide anyway?" });
  await ask.waitFor();
  await ana.screenshot({ path: join(screenshotDir, "presence-confirm.png") });
  await ask.getByRole("button", { name: "Cancel" }).click();
  const stillPending = await (await page.request.get(`${baseUrl}/api/v1/actions/${id}`)).json();
  assert.equal(stillPending.status, "pending", "nothing was decided without the confirmation");
  await anasPanel.getByRole("button", { name: "Close the detail panel" }).click();

  // The demo reviewer closes the panel: the lease goes, and Ana's list follows by itself.
  await detailPanel(page).getByRole("button", { name: "Close the detail panel" }).click();
  await eventually("the lease to disappear from Ana's screen", async () => (await anasRow.locator(".badge.presence").count()) === 0);

  // Decided anyway when asked: the demo reviewer opens it again, Ana snoozes it and confirms.
  await visit(page, baseUrl, `/?open=${id}`);
  await detailPanel(page).getByRole("heading", { name: "Message Draft" }).waitFor();
  await anasRow.locator(".badge.presence").waitFor();
  await anasRow.locator("button.row-link").click();
  await anasPanel.getByRole("status").filter({ hasText: "Demo Reviewer is reviewing this action." }).waitFor();
  await anasPanel.getByRole("button", { name: "Snooze" }).click();
  await anasPanel.getByRole("button", { name: "1 hour" }).click();
  const askAgain = ana.getByRole("dialog", { name: /decide anyway\?/ });
  await askAgain.getByRole("button", { name: "Decide anyway" }).click();
  await eventually("the snooze to land", async () => {
    const now = await (await page.request.get(`${baseUrl}/api/v1/actions/${id}`)).json();
    return now.status === "snoozed";
  });
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, [], "neither client panicked");
});

test("an admin sets the safeguards; past the contact cap the panel warns and the approval dialog confirms", async () => {
  const { page, baseUrl } = app;
  const token = await csrf(page, baseUrl);
  // An admin sets the safeguards on the Agents page.
  await visit(page, baseUrl, "/agents");
  const safeguards = page.getByRole("form", { name: "Review safeguards" });
  await safeguards.getByLabel("Cap messages to one customer").check();
  await safeguards.getByLabel("Most messages").fill("1");
  await safeguards.getByLabel("Days").fill("30");
  await safeguards.getByLabel("Confidence floor").fill("90");
  await safeguards.getByRole("button", { name: "Save" }).click();
  await safeguards.getByText("Saved.").waitFor();
  const saved = await (await page.request.get(`${baseUrl}/api/v1/settings`)).json();
  assert.deepEqual(saved, { contact_cap: { max_messages: 1, window_days: 30 }, review_confidence_floor: 90, audit_share: null, slack_webhook_url: null });
  // An agent writes to a customer twice; the first is approved, so the second is past the cap.
  const pending = await (await page.request.get(`${baseUrl}/api/v1/actions?status=pending&channel=email&limit=1`)).json();
  const customerId = pending.items[0].customer.id;
  const propose = async (subject) => {
    const answer = await page.request.post(`${baseUrl}/api/v1/actions`, {
      headers: { Authorization: `Bearer ${app.agentKey}` },
      data: {
        customer_id: customerId,
        action_type: "draft_message",
        channel: "email",
        subject,
        body: "<p>Hello {{first_name}}, a quick word about your plan.</p>",
        confidence: 80,
        priority: "medium",
        trigger: { summary: "Plan renewal is near.", data: {} },
      },
    });
    assert.equal(answer.status(), 201, await answer.text());
    return (await answer.json()).id;
  };
  const first = await propose("About your plan");
  const second = await propose("About your plan, again");
  const approved = await page.request.post(`${baseUrl}/api/v1/actions/${first}/approve`, {
    headers: { "X-CSRF-Token": token },
    data: {},
  });
  assert.equal(approved.status(), 200, await approved.text());
  const capped = await (await page.request.get(`${baseUrl}/api/v1/actions/${second}`)).json();
  assert.deepEqual(capped.warnings.map((w) => w.warning), ["contact_cap", "low_confidence"]);
  await visit(page, baseUrl, `/?open=${capped.id}`);
  const panel = detailPanel(page);
  const warning = panel.getByRole("list", { name: "Before you approve" }).first();
  await warning.getByText(/the location's cap is 1\./).waitFor();
  await warning.getByText("The agent is 80% confident, under the location's 90%.").waitFor();
  await panel.getByRole("button", { name: "Approve & Send" }).click();
  const dialog = page.getByRole("dialog", { name: "Send this action now?" });
  await dialog.getByText(/the location's cap is 1\./).waitFor();
  await page.screenshot({ path: join(screenshotDir, "contact-cap.png") });
  await dialog.getByRole("button", { name: "Confirm & Send" }).click();
  await eventually("the approval past the cap", async () => {
    const now = await (await page.request.get(`${baseUrl}/api/v1/actions/${capped.id}`)).json();
    return now.status === "approved";
  });
  const off = await page.request.put(`${baseUrl}/api/v1/settings`, {
    headers: { "X-CSRF-Token": token },
    data: {},
  });
  assert.equal(off.status(), 200);
});
