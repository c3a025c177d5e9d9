import { error, redirect } from "@sveltejs/kit";
import { resolve } from "$app/paths";
import { client } from "$lib/client";
import { MeQuery } from "$lib/documents";
import { errorMessage, isUnauthenticated } from "$lib/errors";
import type { MeQuery as MeResult } from "$lib/gql/graphql";

/** The signed-in user, as the pages show them. */
export type Me = NonNullable<MeResult["me"]>;

/**
 * The signed-in user for a page's `load`: sends a visitor without a session to the sign-in page, and shows the
 * error page when the server cannot say who is signed in.
 */
export async function requireUser(): Promise<Me> {
  const result = await client.query(MeQuery, {}, { requestPolicy: "network-only" }).toPromise();
  if (result.error && !isUnauthenticated(result.error)) error(503, errorMessage(result.error));
  const me = result.data?.me;
  if (!me) redirect(307, resolve("/login"));
  return me;
}
