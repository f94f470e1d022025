import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { useSignedInApp, screenshotDir, visit } from "./harness.mjs";

let app;
useSignedInApp((started) => (app = started));

test("Insights draw the seeded history: a bar per day, the reasons, and each agent", async () => {
  const { page, baseUrl } = app;
  const api = await (await page.request.get(`${baseUrl}/api/v1/insights?period=30`)).json();
  assert.ok(api.totals.proposed > 0, "the demo's history is counted");
  await visit(page, baseUrl, "/insights");
  const volume = page.getByRole("img", { name: "Decisions per day over 30 days" });
  await volume.waitFor();
  assert.equal(await volume.locator("g.bar").count(), 30, "one bar per day");
  const drawn = await volume.locator("rect").count();
  assert.ok(drawn > 0, "the days with decisions have stacks");
  const reasons = page.getByRole("img", { name: "Rejections by reason" });
  if (api.rejection_reasons.length > 0) {
    assert.equal(await reasons.locator("li").count(), api.rejection_reasons.length);
  }
  await page.getByText("The numbers").click();
  assert.equal(await page.locator("table.data").first().locator("tbody tr").count(), 30);
  await page.screenshot({ path: join(screenshotDir, "insights.png"), fullPage: true });

  const filters = page.getByRole("search", { name: "Insights filters" });
  await filters.getByLabel("Period").selectOption("7");
  await page.getByRole("img", { name: "Decisions per day over 7 days" }).waitFor();
  assert.equal(await page.getByRole("img", { name: "Decisions per day over 7 days" }).locator("g.bar").count(), 7);

  const agentName = api.by_agent[0].agent.name;
  await filters.getByLabel("Agent").selectOption({ label: agentName });
  const agents = page.getByRole("region", { name: "By agent" }).locator("tbody tr");
  await page.waitForFunction(
    (name) => {
      const rows = [...document.querySelectorAll("section[aria-labelledby=agents-title] tbody tr")];
      return rows.length === 1 && rows[0].textContent.includes(name);
    },
    agentName,
  );
  assert.equal(await agents.count(), 1);
  const panics = app.pageErrors.map(String).filter((error) => /panicked|RuntimeError/.test(error));
  assert.deepEqual(panics, [], "the client never panicked");
});

test("an agent with a clean record is offered autonomy, and Enable turns it on", async () => {
  const { page, baseUrl, agentKey } = app;
  const me = await (await page.request.get(`${baseUrl}/api/v1/auth/me`)).json();
  const customer = (await (await page.request.get(`${baseUrl}/api/v1/actions?limit=1`)).json()).items[0].customer;
  let agent;
  for (let n = 0; n < 20; n++) {
    const proposed = await page.request.post(`${baseUrl}/api/v1/actions`, {
      headers: { Authorization: `Bearer ${agentKey}` },
      data: {
        customer_id: customer.id, action_type: "internal_note", subject: `Account check ${n}`,
        body: "<p>Worth a look.</p>", confidence: 100, priority: "low", trigger: { summary: "Autonomy test" },
      },
    });
    assert.equal(proposed.status(), 201, await proposed.text());
    const action = await proposed.json();
    agent = action.agent;
    const approved = await page.request.post(`${baseUrl}/api/v1/actions/${action.id}/approve`, {
      headers: { "X-CSRF-Token": me.csrf_token },
      data: {},
    });
    assert.equal(approved.status(), 200, await approved.text());
  }
  await visit(page, baseUrl, "/agents");
  const card = page.getByRole("form", { name: agent.name });
  const enable = card.getByRole("button", { name: "Enable from 100%" });
  await enable.waitFor();
  assert.match(await card.locator(".earned").textContent(), /Internal Note: 20 reviewed in 30 days, 100% approved/);
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(screenshotDir, "earned-autonomy.png") });
  await enable.click();
  await card.getByText("Saved.").waitFor();
  const agents = await (await page.request.get(`${baseUrl}/api/v1/agents`)).json();
  const now = agents.find((a) => a.id === agent.id);
  assert.ok(now.auto_execute.includes("internal_note"), JSON.stringify(now));
  assert.equal(now.auto_execute_min_confidence, 100);
});

test("a share of what an agent sends alone waits in Audit until a person checks it", async () => {
  const { page, baseUrl, agentKey } = app;
  await visit(page, baseUrl, "/agents");
  const safeguards = page.getByRole("form", { name: "Review safeguards" });
  await safeguards.getByLabel("Audit share").fill("100");
  await safeguards.getByRole("button", { name: "Save" }).click();
  await safeguards.getByText("Saved.").waitFor();
  // The agent was trusted with internal notes by the test above.
  const customer = (await (await page.request.get(`${baseUrl}/api/v1/actions?limit=1`)).json()).items[0].customer;
  const proposed = await page.request.post(`${baseUrl}/api/v1/actions`, {
    headers: { Authorization: `Bearer ${agentKey}` },
    data: {
      customer_id: customer.id, action_type: "internal_note", subject: "Sent alone, for audit",
      body: "<p>Checked in twice this week.</p>", confidence: 100, priority: "low", trigger: { summary: "Audit test" },
    },
  });
  const action = await proposed.json();
  assert.equal(action.status, "auto_executed", JSON.stringify(action));
  await visit(page, baseUrl, "/audit");
  const item = page.getByRole("listitem", { name: "Sent alone, for audit" });
  await item.waitFor();
  await page.screenshot({ path: join(screenshotDir, "audit.png") });
  await item.getByRole("button", { name: "Looks right" }).click();
  await page.getByText("Nothing waits to be checked.").waitFor();
  const checked = await (await page.request.get(`${baseUrl}/api/v1/actions/${action.id}`)).json();
  assert.equal(checked.audit, "ok");
});
