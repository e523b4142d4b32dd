/**
 * The colour theme: the user's choice (light / dark / follow the system), remembered per
 * browser in localStorage, resolved against the system's `prefers-color-scheme` and applied
 * as `data-theme` on <html>, which every colour variable in styles.css and labeling.css
 * keys on. The system setting is followed until the user picks a theme.
 */
import { useSyncExternalStore } from "react";

export type ThemeChoice = "light" | "dark" | "system";
export type Theme = "light" | "dark";

export const THEME_STORAGE_KEY = "wirework.theme";
const CHOICES: readonly ThemeChoice[] = ["light", "dark", "system"];

export function parseThemeChoice(stored: string | null | undefined): ThemeChoice {
  return CHOICES.includes(stored as ThemeChoice) ? (stored as ThemeChoice) : "system";
}

export function resolveTheme(choice: ThemeChoice, systemPrefersDark: boolean): Theme {
  if (choice === "system") return systemPrefersDark ? "dark" : "light";
  return choice;
}

/** The choice after `current` when the toggle is pressed: system → light → dark → system. */
export function nextThemeChoice(current: ThemeChoice): ThemeChoice {
  return current === "system" ? "light" : current === "light" ? "dark" : "system";
}

const listeners = new Set<() => void>();
const media = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

function readChoice(): ThemeChoice {
  try {
    return parseThemeChoice(localStorage.getItem(THEME_STORAGE_KEY));
  } catch {
    return "system"; // storage disabled: follow the system
  }
}

let choice: ThemeChoice = typeof window !== "undefined" ? readChoice() : "system";
let snapshot = { choice, theme: resolveTheme(choice, !!media?.matches) };

function update() {
  const theme = resolveTheme(choice, !!media?.matches);
  if (snapshot.choice !== choice || snapshot.theme !== theme) snapshot = { choice, theme };
  document.documentElement.dataset.theme = theme;
  document.documentElement.style.colorScheme = theme; // native controls and scrollbars follow
  for (const listener of listeners) listener();
}

/** Apply the remembered theme before the first render (no light flash in dark mode). */
export function applyStoredTheme(): void {
  media?.addEventListener("change", update);
  update();
}

export function setThemeChoice(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === "system") localStorage.removeItem(THEME_STORAGE_KEY);
    else localStorage.setItem(THEME_STORAGE_KEY, next);
  } catch {
    // not remembered, still applied
  }
  update();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useTheme(): { choice: ThemeChoice; theme: Theme } {
  return useSyncExternalStore(subscribe, () => snapshot);
}
