/** The header's theme button: cycles follow-the-system → light → dark, saying which is on. */
import { nextThemeChoice, setThemeChoice, useTheme } from "./theme";

const LABEL = { system: "◐ System", light: "☀ Light", dark: "☾ Dark" } as const;

export function ThemeToggle() {
  const { choice, theme } = useTheme();
  const next = nextThemeChoice(choice);
  return (
    <button type="button" className="theme-toggle" data-testid="theme-toggle" data-theme-choice={choice}
            title={`Theme: ${choice === "system" ? `follows the system (${theme} now)` : choice}. Click for ${next}.`}
            onClick={() => setThemeChoice(next)}>
      {LABEL[choice]}
    </button>
  );
}
