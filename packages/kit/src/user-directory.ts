import { INTERNAL_TOKEN_HEADER, REQUEST_ID_HEADER, serviceCaller, signInternalToken } from "./auth.js";
import { upstreamUnavailable } from "./errors.js";
import { requestScope } from "./request-context.js";

/** A person as the identity subgraph knows them. */
export interface DirectoryUser {
  id: string;
  email: string;
  name: string;
  disabled: boolean;
}

/** Finds people by id or email; the identity subgraph answers (`POST /internal/users/lookup`). */
export interface UserDirectory {
  lookup(by: { ids?: string[]; emails?: string[] }): Promise<DirectoryUser[]>;
}

/**
 * The user directory of a subgraph other than identity, over identity's internal route with an internal token
 * naming this service. Fails with UPSTREAM_UNAVAILABLE when identity does not answer.
 */
export function createUserDirectory(options: {
  identityUrl: string;
  internalSecret: string;
  service: string;
  timeoutMs?: number;
}): UserDirectory {
  const url = `${options.identityUrl.replace(/\/+$/, "")}/internal/users/lookup`;
  const caller = serviceCaller(options.service);
  return {
    async lookup(by) {
      if (!by.ids?.length && !by.emails?.length) return [];
      let res: Response;
      try {
        const requestId = requestScope.getStore()?.requestId;
        res = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [INTERNAL_TOKEN_HEADER]: await signInternalToken(options.internalSecret, caller),
            ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
          },
          body: JSON.stringify({ ids: by.ids ?? [], emails: by.emails ?? [] }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
        });
      } catch {
        throw upstreamUnavailable("The identity service did not answer; try again");
      }
      if (!res.ok) throw upstreamUnavailable(`The identity service answered ${res.status}; try again`);
      return ((await res.json()) as { users: DirectoryUser[] }).users;
    },
  };
}

/** A directory over a fixed list of people: for tests of one subgraph, and where no identity service runs. */
export function staticUserDirectory(users: DirectoryUser[] = []): UserDirectory {
  return {
    lookup: async ({ ids = [], emails = [] }) =>
      users.filter((u) => ids.includes(u.id) || emails.includes(u.email.toLowerCase())),
  };
}
