import { afterEach, describe, expect, it, vi } from "vitest";
import { SIGN_IN_ATTEMPT_KEY, authStore, createAuthStore, signInHref, tokenFromInput } from "../../src/api/auth";
import { ApiError, api } from "../../src/api/client";

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
    removeItem: (key: string) => void data.delete(key),
  };
}

describe("tokenFromInput", () => {
  it("takes the token itself, trimmed", () => {
    expect(tokenFromInput("  abc-123_XYZ \n")).toBe("abc-123_XYZ");
    expect(tokenFromInput("")).toBe("");
    expect(tokenFromInput("   ")).toBe("");
  });
  it("takes it out of the URL wirework up printed", () => {
    expect(tokenFromInput("http://127.0.0.1:8400/?token=s3cr%2Bt")).toBe("s3cr+t");
    expect(tokenFromInput("http://localhost:8400/?a=1&token=tok#/workflows/x")).toBe("tok");
    expect(tokenFromInput("127.0.0.1:8400/?token=tok")).toBe("tok");
    expect(tokenFromInput("http://127.0.0.1:8400/")).toBe("");
  });
  it("drops a Bearer prefix", () => {
    expect(tokenFromInput("Bearer abc")).toBe("abc");
    expect(tokenFromInput("bearer   abc ")).toBe("abc");
  });
});

describe("signInHref", () => {
  it("goes to /?token=… and keeps the hash route for after the redirect", () => {
    expect(signInHref("abc", { hash: "" })).toBe("/?token=abc");
    expect(signInHref("abc", { hash: "#" })).toBe("/?token=abc");
    expect(signInHref("a b&c", { hash: "#/workflows/hello" })).toBe("/?token=a%20b%26c#/workflows/hello");
  });
});

describe("auth store", () => {
  it("starts signed in and turns to the sign-in screen on a 401", () => {
    const store = createAuthStore(memoryStorage());
    const seen: boolean[] = [];
    const unsubscribe = store.subscribe(() => seen.push(store.get().unauthorized));
    expect(store.get()).toEqual({ unauthorized: false, detail: "", rejected: false });
    store.reportUnauthorized("missing or invalid API token");
    expect(store.get()).toEqual({ unauthorized: true, detail: "missing or invalid API token", rejected: false });
    store.reportUnauthorized("missing or invalid API token"); // the same again: no re-render
    expect(seen).toEqual([true]);
    unsubscribe();
  });

  it("a 401 right after submitting a token says the token was refused; the attempt marker is used once", () => {
    const storage = memoryStorage();
    const before = createAuthStore(storage);
    expect(before.beginSignIn("tok", { hash: "#/runs" })).toBe("/?token=tok#/runs");
    expect(storage.data.get(SIGN_IN_ATTEMPT_KEY)).toBe("1");
    expect([...storage.data.values()]).not.toContain("tok"); // the token itself is never stored

    const after = createAuthStore(storage); // the page load after the redirect
    expect(storage.data.has(SIGN_IN_ATTEMPT_KEY)).toBe(false);
    after.reportUnauthorized("");
    expect(after.get().rejected).toBe(true);

    expect(createAuthStore(storage).get().rejected).toBe(false); // the next load is a plain one
  });

  it("after a successful call, a later 401 is not a refused token", () => {
    const storage = memoryStorage({ [SIGN_IN_ATTEMPT_KEY]: "1" });
    const store = createAuthStore(storage);
    store.reportAuthorized();
    store.reportUnauthorized("session expired");
    expect(store.get()).toEqual({ unauthorized: true, detail: "session expired", rejected: false });
  });

  it("works without storage", () => {
    const store = createAuthStore(null);
    expect(store.beginSignIn("x", { hash: "" })).toBe("/?token=x");
    store.reportUnauthorized("");
    expect(store.get().unauthorized).toBe(true);
  });
});

describe("request() and 401", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("a 401 answer throws ApiError and reports the app as not signed in", async () => {
    expect(authStore.get().unauthorized).toBe(false);
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ error: "unauthorized", detail: "no session" }),
      { status: 401, headers: { "content-type": "application/json" } }));
    vi.stubGlobal("fetch", fetchMock);
    const error = await api.listWorkflows().catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).code).toBe("unauthorized");
    expect(authStore.get()).toMatchObject({ unauthorized: true, detail: "no session" });
    // Same-origin requests with the default credentials, so the browser sends the session cookie.
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(init.credentials ?? "same-origin").toBe("same-origin");
  });

  it("JSON bodies are sent as application/json (the API refuses other content types)", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ run_id: "r1" }), { status: 202 }));
    vi.stubGlobal("fetch", fetchMock);
    await api.startRun("hello", { k: 1 });
    const [path, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(path).toBe("/api/workflows/hello/runs");
    expect((init.headers as Record<string, string>)["content-type"]).toBe("application/json");
  });
});
