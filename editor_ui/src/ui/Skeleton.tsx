/**
 * Loading placeholders: grey bars in the shape of what is coming (a table's rows, a
 * canvas), so a page is never blank while its data loads. `aria-busy` tells assistive
 * technology the same; the shimmer stops under prefers-reduced-motion.
 */
export function Skeleton({ rows = 5, label = "Loading", variant = "table" }: { rows?: number; label?: string; variant?: "table" | "canvas" | "panel" }) {
  return (
    <div className={`skeleton skeleton-${variant}`} aria-busy="true" aria-label={label} role="status" data-testid="skeleton">
      {variant === "canvas" ? (
        <>
          <div className="skeleton-bar skeleton-toolbar" />
          <div className="skeleton-canvas-body">
            <div className="skeleton-block skeleton-side" />
            <div className="skeleton-block skeleton-main" />
            <div className="skeleton-block skeleton-side" />
          </div>
        </>
      ) : (
        Array.from({ length: rows }, (_, i) => <div key={i} className="skeleton-bar" style={{ width: `${92 - (i % 3) * 14}%` }} />)
      )}
    </div>
  );
}
