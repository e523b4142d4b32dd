/**
 * Rules about the run the canvas shows (pure, unit-tested): whether a node's output in it can
 * be pinned, and what the banner over the canvas says about the run and its version.
 */
import { isActiveRun } from "../api/runEvents";
import type { LiveRun } from "./editorStore";

/** Statuses after which a node has an output the server kept (a pin copies it). */
const HAS_OUTPUT = new Set(["completed", "reused", "pinned", "skipped"]);

/** A node's output can be pinned once its run has ended and the node produced one. */
export function canPinStatus(runStatus: string | undefined, nodeStatus: string | undefined): boolean {
  return !!runStatus && !isActiveRun(runStatus as LiveRun["status"]) && !!nodeStatus && HAS_OUTPUT.has(nodeStatus);
}

export function canPin(run: LiveRun | null, nodeId: string): boolean {
  return canPinStatus(run?.status, run?.nodes[nodeId]?.status);
}

/**
 * How the run's version relates to the open one: the canvas draws the open document, so
 * results of another version may sit on nodes that changed, or nodes may have none.
 */
export function versionNote(runVersion: number | null | undefined, openVersion: number, dirty: boolean): string | null {
  if (runVersion === null || runVersion === undefined) return null;
  if (runVersion !== openVersion) {
    return `This run ran version ${runVersion}; the canvas shows version ${openVersion}${dirty ? " with unsaved changes" : ""}: nodes added or changed since show results of version ${runVersion} or none.`;
  }
  return dirty ? `This run ran version ${runVersion}; the canvas has unsaved changes since.` : null;
}
