// Signing in: development mode's token-less operator (whose overview lists the fleet's hosts), a
// refused token, the session kept for the tab (a reload stays signed in), sign-out, and the
// sign-in page for a page opened signed out.
import { expect, test } from "./fixtures.js";
import { signInAsDevelopmentOperator, signInWithToken, signOut } from "./helpers/session.js";

test("signs in without a token in development mode, stays signed in on reload, signs out", async ({
  page,
}) => {
  await signInAsDevelopmentOperator(page);
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  // The fleet's hosts (ListHosts): at least the host serving the console, live.
  const thisHost = page
    .getByRole("table", { name: "Hosts of the fleet" })
    .getByRole("row")
    .filter({ hasText: "(this host)" });
  await expect(thisHost).toHaveCount(1);
  await expect(thisHost.getByText("Live")).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await signOut(page);
  await page.goto("/vms");
  await expect(page.getByRole("heading", { name: "Sign in to metald" })).toBeVisible();
});

test("returns to the page asked for after signing in", async ({ page }) => {
  await signInAsDevelopmentOperator(page, "/pools");
  await expect(page.getByRole("heading", { name: "IPv6 address pools" })).toBeVisible();
});

test.describe("a token metald does not know", () => {
  // metald answers 401 before the API, so the browser logs the refused request.
  test.use({ expectedConsole: [/status of 401/] });

  test("is refused on the sign-in page with a message", async ({ page }) => {
    await signInWithToken(page, `mtd_000000000000_${"a".repeat(43)}`);
    await expect(page.getByRole("alert")).toContainText("refused this token");
    await expect(page.getByRole("heading", { name: "Sign in to metald" })).toBeVisible();
  });

  test("is asked for when the field is empty, without a request", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByLabel("API token")).toHaveAccessibleDescription(/Enter a token/);
  });
});
