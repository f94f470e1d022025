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
  const volume = page.getByRole("img", { name: "Proposals and decisions per day over 30 days" });
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
  await page.getByRole("img", { name: "Proposals and decisions per day over 7 days" }).waitFor();
  assert.equal(await page.getByRole("img", { name: "Proposals and decisions per day over 7 days" }).locator("g.bar").count(), 7);

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
