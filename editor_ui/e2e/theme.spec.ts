/** The theme: follows the system by default, the header toggle overrides it and is remembered per browser. */
import { expect, test } from "./fixtures";

test("the editor follows the system's dark setting, and a chosen theme is remembered", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto("/#/");
  const html = page.locator("html");
  await expect(html).toHaveAttribute("data-theme", "dark");
  // The page really paints with the dark variables, not just the attribute.
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await background()).toBe("rgb(15, 17, 21)");

  await page.emulateMedia({ colorScheme: "light" });
  await expect(html).toHaveAttribute("data-theme", "light");
  expect(await background()).toBe("rgb(246, 247, 249)");

  // system → light → dark: dark now although the system says light, and after a reload.
  const toggle = page.getByTestId("theme-toggle");
  await toggle.click();
  await toggle.click();
  await expect(toggle).toHaveAttribute("data-theme-choice", "dark");
  await expect(html).toHaveAttribute("data-theme", "dark");
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await background()).toBe("rgb(15, 17, 21)");

  // The labeling pages use the same variables.
  await page.goto("/#/labeling");
  await expect(page.locator(".page, .labeling-page").first()).toBeVisible();
  expect(await background()).toBe("rgb(15, 17, 21)");

  // Back to following the system.
  await page.getByTestId("theme-toggle").click();
  await expect(page.getByTestId("theme-toggle")).toHaveAttribute("data-theme-choice", "system");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "light");
  expect(await page.evaluate(() => localStorage.getItem("wirework.theme"))).toBeNull();
});
