/**
 * Sign-in state of the editor. The API answers 401 to a browser without the session
 * cookie; `request()` reports it here and the app shows the "Not signed in" screen.
 * Signing in is the server's job: opening `/?token=<token>` sets the HttpOnly cookie and
 * redirects to the same URL without the token, so the token never stays in the address
 * bar and this code never stores it.
 */

export interface AuthState {
  /** An API call answered 401: show the sign-in screen instead of the app. */
  unauthorized: boolean;
  /** The server's `detail` of that 401, if any. */
  detail: string;
  /** This page load came from submitting a token on the sign-in screen, and it was refused. */
  rejected: boolean;
}

const SIGNED_IN: AuthState = { unauthorized: false, detail: "", rejected: false };
/** sessionStorage key set just before the sign-in navigation (the token itself is not kept). */
export const SIGN_IN_ATTEMPT_KEY = "wirework.signInAttempt";

type StorageLike = Pick<Storage, "getItem" | "setItem" | "removeItem">;

function sessionStore(): StorageLike | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage;
  } catch {
    return null; // storage disabled
  }
}

/** The state and its listeners; one per app (module-level below), separate ones in unit tests. */
export function createAuthStore(storage: StorageLike | null = sessionStore()) {
  let state = SIGNED_IN;
  // A sign-in attempt counts only for the page load that follows it.
  let attempted = storage?.getItem(SIGN_IN_ATTEMPT_KEY) === "1";
  storage?.removeItem(SIGN_IN_ATTEMPT_KEY);
  const listeners = new Set<() => void>();
  const set = (next: AuthState) => {
    state = next;
    for (const listener of listeners) listener();
  };
  return {
    get: (): AuthState => state,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** An API call answered 401. */
    reportUnauthorized(detail: string) {
      const rejected = attempted;
      attempted = false;
      if (state.unauthorized && state.detail === detail && state.rejected === rejected) return;
      set({ unauthorized: true, detail, rejected: rejected || state.rejected });
    },
    /** An API call succeeded: a later 401 (say the server was reset) is not "that token was refused". */
    reportAuthorized() {
      attempted = false;
    },
    /** Remember that the next page load follows a sign-in, then return where to go. */
    beginSignIn(token: string, current: { hash: string }): string {
      storage?.setItem(SIGN_IN_ATTEMPT_KEY, "1");
      return signInHref(token, current);
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;

/** The app's one sign-in state. */
export const authStore = createAuthStore();

/**
 * The token from what the user pasted: the token itself, `Bearer <token>`, or the whole
 * URL `wirework up` printed (`http://127.0.0.1:8400/?token=…`). Empty if there is none.
 */
export function tokenFromInput(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return "";
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      return (new URL(trimmed).searchParams.get("token") ?? "").trim();
    } catch {
      return "";
    }
  }
  const match = /[?&]token=([^&#\s]*)/.exec(trimmed);
  if (match) {
    try {
      return decodeURIComponent(match[1]).trim();
    } catch {
      return match[1].trim();
    }
  }
  return trimmed.replace(/^bearer\s+/i, "").trim();
}

/**
 * Where the sign-in form navigates: `/?token=…`, keeping the hash route. The server sets
 * the cookie and redirects to `/` (no token); the browser keeps the hash across the
 * redirect, so the user lands on the page they were on.
 */
export function signInHref(token: string, current: { hash: string }): string {
  const hash = current.hash && current.hash !== "#" ? current.hash : "";
  return `/?token=${encodeURIComponent(token)}${hash}`;
}
