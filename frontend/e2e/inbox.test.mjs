import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { start, screenshotDir } from "./harness.mjs";

// The demo seed's reviewer.
const EMAIL = "reviewer@demo.example";
const PASSWORD = "demo-reviewer";

let app;
before(async () => {
  app = await start();
});
after(async () => {
  await app?.close();
});

async function signIn(page, password) {
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("the sign-in page refuses a wrong password and admits the demo reviewer", async () => {
  const { page, baseUrl } = app;
  await page.goto(`${baseUrl}/`);
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  await page.screenshot({ path: join(screenshotDir, "sign-in.png") });

  await signIn(page, "not the password");
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /email or password is wrong/);

  await signIn(page, PASSWORD);
  await page.locator(".metric").first().waitFor();
  assert.match(await page.locator(".who").textContent(), /Demo Reviewer/);
});

test("the inbox shows the metrics bar and the demo's pending actions", async () => {
  const { page, baseUrl } = app;
  await page.goto(`${baseUrl}/`);

  await page.locator(".metric").first().waitFor();
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
  assert.equal(response.status(), 200, "the session cookie authenticates the page's requests");
  assert.equal(Number(pendingReview), (await response.json()).total);
  assert.match(await page.locator(".count").textContent(), new RegExp(`^${pendingReview} pending$`));

  // Customer column reads "Name • Company • Type"; Created and Expires are relative.
  const customer = await rows.first().locator("td.customer").textContent();
  assert.match(customer, /^.+ • (Member|Contact|Lead)$/);
  assert.match(await rows.first().locator("td").nth(8).textContent(), /ago$|^just now$/);
  assert.match(await rows.first().locator("td").nth(9).textContent(), /remaining$/);

  await page.screenshot({ path: join(screenshotDir, "inbox.png"), fullPage: false });
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

test("signing out returns to the sign-in page", async () => {
  const { page, baseUrl } = app;
  await page.goto(`${baseUrl}/`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  const response = await page.request.get(`${baseUrl}/api/v1/actions`);
  assert.equal(response.status(), 401, "the session is over");
  // Only the deliberate failures above reached the console.
  assert.ok(app.pageErrors.every((error) => /401|500|Unauthorized|Internal/.test(String(error))), String(app.pageErrors));
});
