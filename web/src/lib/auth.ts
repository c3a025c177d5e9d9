/** The signed-in user as the gateway's /auth routes return it. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  roles: string[];
}

/** A failure the user should read: the gateway's `{ error: { code, message } }` body, or a network problem. */
export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

async function post(path: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new AuthError("NETWORK_ERROR", "The server cannot be reached. Check your connection and try again.");
  }
}

async function readError(response: Response): Promise<AuthError> {
  const body: unknown = await response.json().catch(() => null);
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (error && typeof error.message === "string") {
    return new AuthError(typeof error.code === "string" ? error.code : "ERROR", error.message);
  }
  return new AuthError(`HTTP_${response.status}`, `The server answered ${response.status} ${response.statusText}.`);
}

/**
 * Signs in with email and password. The gateway sets the HttpOnly session cookie; the page never sees a token.
 *
 * @throws {@link AuthError} with the server's message (wrong password, disabled user, …) or a network error.
 */
export async function login(email: string, password: string): Promise<SessionUser> {
  const response = await post("/auth/login", { email, password });
  if (!response.ok) throw await readError(response);
  const body = (await response.json()) as { user: SessionUser };
  return body.user;
}

/** Ends the browser session: the gateway clears the cookies. */
export async function logout(): Promise<void> {
  const response = await post("/auth/logout");
  if (!response.ok) throw await readError(response);
}

/**
 * Renews the session cookies from the refresh cookie. HTTP requests get this on their own (the gateway refreshes
 * a lapsed access cookie as it handles them); work that goes over the WebSocket only, such as sending a chat
 * message, asks for it when the socket was refused.
 *
 * @returns whether the session goes on (false: it ended, sign in again).
 * @throws {@link AuthError} when the server cannot be reached or answers another error (a rate limit, say).
 */
export async function refreshSession(): Promise<boolean> {
  const response = await post("/auth/refresh");
  if (response.ok) return true;
  if (response.status === 401) return false;
  throw await readError(response);
}
