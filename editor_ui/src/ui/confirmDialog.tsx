/**
 * In-app confirmation (instead of the browser's `window.confirm`): `askConfirm(...)`
 * resolves true or false once the user answers the dialog that `<ConfirmHost/>` (mounted
 * once, in App) shows. One question at a time; a second one waits for the first.
 */
import { useEffect, useRef } from "react";
import { create } from "zustand";
import { Modal } from "./Modal";

export interface ConfirmRequest {
  title: string;
  message: string;
  /** The button that goes ahead, e.g. "Delete"; "OK" when not given. */
  confirmLabel?: string;
  danger?: boolean;
}

interface Pending extends ConfirmRequest {
  resolve: (answer: boolean) => void;
}

const useConfirm = create<{ queue: Pending[] }>(() => ({ queue: [] }));

export function askConfirm(request: ConfirmRequest): Promise<boolean> {
  return new Promise((resolve) => useConfirm.setState((s) => ({ queue: [...s.queue, { ...request, resolve }] })));
}

function answer(value: boolean): void {
  const [first, ...rest] = useConfirm.getState().queue;
  if (!first) return;
  useConfirm.setState({ queue: rest });
  first.resolve(value);
}

export function ConfirmHost() {
  const current = useConfirm((s) => s.queue[0]);
  const cancel = useRef<HTMLButtonElement>(null);
  // Focus starts on Cancel, so Enter right after a click never deletes by accident.
  useEffect(() => cancel.current?.focus(), [current]);
  if (!current) return null;
  return (
    <Modal title={current.title} onClose={() => answer(false)} testId="confirm-dialog">
      <p>{current.message}</p>
      <div className="row modal-actions">
        <button ref={cancel} type="button" onClick={() => answer(false)} data-testid="confirm-cancel">Cancel</button>
        <button type="button" className={current.danger ? "danger" : "primary"} onClick={() => answer(true)} data-testid="confirm-ok">
          {current.confirmLabel ?? "OK"}
        </button>
      </div>
    </Modal>
  );
}
