/** The minimaps' colours per theme (SVG fill attributes and canvas 2D take no CSS variables). */
export const MINIMAP_COLOURS = {
  light: { node: "#8aa4c8", note: "#f6e58d", selected: "#2f6fed", mask: "rgba(240,242,246,.7)", view: "#2f6fed" },
  dark: { node: "#5a6a85", note: "#8a7f3a", selected: "#5b8ff9", mask: "rgba(10,12,16,.65)", view: "#5b8ff9" },
} as const;
