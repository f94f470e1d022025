import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { start, screenshotDir } from "./harness.mjs";

let app;
before(async () => {
  app = await start();
});
after(async () => {
  await app?.close();
});

test("the inbox shows the metrics bar and the demo's pending actions", async () => {
  const { page, baseUrl } = app;
  await page.goto(`${baseUrl}/`);

  const metrics = page.getByRole("group");
  await metrics.first().waitFor();
  const labels = await page.locator(".metric-label").allTextContents();
  assert.deepEqual(labels, ["Pending review", "Approved today", "Rejected today", "Avg. review time", "Approval rate"]);

  const rows = page.locator("tr.action-row");
  await rows.first().waitFor();
  const headers = await page.locator("table.actions th").allTextContents();
  assert.deepEqual(headers, [
    "Subject", "Customer", "Criteria type", "Action type", "Channel",
    "Confidence", "Priority", "Status", "Created", "Expires",
  ]);
  assert.ok((await rows.count()) > 0);
  const statuses = await page.locator("tr.action-row .badge[class*=status-]").allTextContents();
  assert.ok(statuses.every((status) => status === "Pending"), "the default view is Pending");

  // The count in the metrics bar is the list's total, as the API computes both.
  const pendingReview = await page.getByRole("group", { name: "Pending review" }).locator(".metric-value").textContent();
  const response = await page.request.get(`${baseUrl}/api/v1/actions?status=pending&limit=1`);
  assert.equal(Number(pendingReview), (await response.json()).total);
  assert.match(await page.locator(".count").textContent(), new RegExp(`^${pendingReview} pending$`));

  // Customer column reads "Name • Company • Type"; Created and Expires are relative.
  const customer = await rows.first().locator("td.customer").textContent();
  assert.match(customer, /^.+ • (Member|Contact|Lead)$/);
  assert.match(await rows.first().locator("td").nth(8).textContent(), /ago$|^just now$/);
  assert.match(await rows.first().locator("td").nth(9).textContent(), /remaining$/);

  await page.screenshot({ path: join(screenshotDir, "inbox.png"), fullPage: false });
  assert.deepEqual(app.pageErrors, [], "no errors in the browser console");
});

test("an API failure is shown, not swallowed", async () => {
  const { page, baseUrl } = app;
  await page.route("**/api/v1/actions?**", (route) =>
    route.fulfill({
      status: 500,
      contentType: "application/problem+json",
      body: JSON.stringify({ type: "urn:ai-inbox:problem:internal", title: "Internal server error", status: 500, detail: "The server could not complete the request." }),
    }),
  );
  await page.goto(`${baseUrl}/`);
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /Internal server error/);
  await page.unroute("**/api/v1/actions?**");
});
