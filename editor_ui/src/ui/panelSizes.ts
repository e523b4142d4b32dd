/**
 * Side-panel sizes remembered per browser: each panel's width and whether it is collapsed,
 * in localStorage under `wirework.panel.<id>`, clamped to the panel's limits when read so
 * a width saved on a wide screen cannot swallow a narrow one.
 */
export interface PanelSize {
  width: number;
  collapsed: boolean;
}

export interface PanelLimits {
  defaultWidth: number;
  min: number;
  max: number;
}

export const panelStorageKey = (id: string) => `wirework.panel.${id}`;

export function clampWidth(width: number, limits: PanelLimits, viewportWidth = Infinity): number {
  // Never more than 60% of the window: the canvas stays usable.
  const max = Math.min(limits.max, Math.max(limits.min, Math.floor(viewportWidth * 0.6)));
  if (!Number.isFinite(width)) return Math.min(limits.defaultWidth, max);
  return Math.round(Math.min(max, Math.max(limits.min, width)));
}

export function parsePanelSize(stored: string | null, limits: PanelLimits, viewportWidth?: number): PanelSize {
  let parsed: Partial<PanelSize> = {};
  try {
    const value = stored ? JSON.parse(stored) : null;
    if (value && typeof value === "object") parsed = value;
  } catch {
    // a damaged entry: the defaults
  }
  const width = typeof parsed.width === "number" ? parsed.width : limits.defaultWidth;
  return { width: clampWidth(width, limits, viewportWidth), collapsed: parsed.collapsed === true };
}

export function loadPanelSize(id: string, limits: PanelLimits): PanelSize {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(panelStorageKey(id));
  } catch {
    // storage disabled
  }
  return parsePanelSize(stored, limits, window.innerWidth);
}

export function savePanelSize(id: string, size: PanelSize): void {
  try {
    localStorage.setItem(panelStorageKey(id), JSON.stringify(size));
  } catch {
    // not remembered, still applied
  }
}
