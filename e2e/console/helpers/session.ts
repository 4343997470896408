// Signing in and out the way a person does, on the sign-in page.
import { expect, type Page } from "@playwright/test";

export async function signInAsDevelopmentOperator(page: Page, path = "/") {
  await page.goto(path);
  await expect(page.getByRole("heading", { name: "Sign in to metald" })).toBeVisible();
  await page.getByRole("button", { name: "Continue without a token" }).click();
  await expect(page.getByText("Signed in as")).toContainText("operator");
}

export async function signInWithToken(page: Page, token: string, path = "/") {
  await page.goto(path);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to metald" })).toBeVisible();
}
