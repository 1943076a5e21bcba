// Small shared pieces: error alerts, a confirmation dialog, in-page links, a loader hook.

import type { Child } from "hono/jsx/dom";
import { useCallback, useEffect, useRef, useState } from "hono/jsx/dom";
import type { View } from "./nav";
import { pathFor } from "./nav";

export type Go = (view: View) => void;

/** An API failure's message, announced to screen readers. */
export function ErrorAlert(props: { error: unknown }) {
  if (!props.error) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <p class="alert" role="alert">
      {message}
    </p>
  );
}

/** A link to a view of the page: a real link (keyboard, new-tab aware) that stays in memory. */
export function ViewLink(props: { go: Go; view: View; children: Child; current?: boolean }) {
  return (
    <a
      href={pathFor(props.view)}
      aria-current={props.current ? "page" : undefined}
      onClick={(e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        props.go(props.view);
      }}
    >
      {props.children}
    </a>
  );
}

/** A modal <dialog> that asks before a destructive action. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  text: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-label={props.title} onClose={props.onClose}>
      <h2>{props.title}</h2>
      <p>{props.text}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` on mount and whenever `deps` change; `reload` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  // One state object, so a result re-renders once (children mount once, their effects run once).
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => (s.loading ? s : { ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export const formatTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString() : "never";

const STATUS_NAMES: Record<number, string> = { 0: "Succeeded", 1: "Pending", 2: "Failed", 3: "Sending" };
export const statusName = (status: number | undefined): string =>
  status === undefined ? "" : (STATUS_NAMES[status] ?? "Pending");

/** A datetime-local field's value as an ISO time, or undefined when empty. */
export function localToIso(value: string): string | undefined {
  if (!value) return undefined;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

export const pretty = (value: unknown): string => JSON.stringify(value, null, 2) ?? "null";
