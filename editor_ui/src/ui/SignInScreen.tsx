/** The full-page "Not signed in" screen, shown instead of the app once an API call answered 401. */
import { useState, useSyncExternalStore, type FormEvent } from "react";
import { authStore, tokenFromInput, type AuthState } from "../api/auth";
import "./signin.css";

export function useAuthState(): AuthState {
  return useSyncExternalStore(authStore.subscribe, authStore.get);
}

export function SignInScreen({ state }: { state: AuthState }) {
  const [text, setText] = useState("");
  const token = tokenFromInput(text);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!token) return;
    // The server sets the session cookie and redirects back here without the token.
    window.location.assign(authStore.beginSignIn(token, window.location));
  };
  return (
    <div className="signin-page" data-testid="signin-screen">
      <div className="signin-card" role="main">
        <div className="signin-brand">wirework</div>
        <h1>Not signed in</h1>
        {state.rejected && (
          <p className="signin-rejected" data-testid="signin-rejected">
            That token was not accepted. Check that it belongs to the server this page comes from (each data folder has its own).
          </p>
        )}
        <p>
          This wirework server only answers a browser that has signed in with its API token. Open the URL
          that <code>make run</code> or <code>wirework up</code> printed when it started (it ends
          in <code>?token=…</code>): that signs this browser in.
        </p>
        <p>
          Or print the token in the project folder with <code>.venv/bin/wirework token</code> and paste it here:
        </p>
        <form onSubmit={submit} className="signin-form">
          <label>
            API token
            <input
              type="password" name="token" autoFocus autoComplete="off" spellCheck={false}
              data-testid="signin-token" value={text} onChange={(e) => setText(e.target.value)}
              placeholder="token, or the whole URL with ?token=…"
            />
          </label>
          <button type="submit" className="primary" data-testid="signin-submit" disabled={!token}>Sign in</button>
        </form>
        {import.meta.env.DEV && (
          <p className="muted small" data-testid="signin-dev-hint">
            On the dev server (<code>npm run dev</code>) the proxy adds the token itself: give it
            <code>WIREWORK_TOKEN</code>, or <code>WIREWORK_HOME</code> of the running server (default: the
            repository's <code>.wirework/</code>), then reload.
          </p>
        )}
        {state.detail && <p className="muted small" data-testid="signin-detail">The server said: {state.detail}</p>}
      </div>
    </div>
  );
}
