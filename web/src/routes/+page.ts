import { error, redirect } from "@sveltejs/kit";
import { resolve } from "$app/paths";
import { client } from "$lib/client";
import { MeQuery } from "$lib/documents";
import { errorMessage, isUnauthenticated } from "$lib/errors";
import type { PageLoad } from "./$types";

export const load: PageLoad = async () => {
  const result = await client.query(MeQuery, {}, { requestPolicy: "network-only" }).toPromise();
  if (result.error && !isUnauthenticated(result.error)) error(503, errorMessage(result.error));
  const me = result.data?.me;
  if (!me) redirect(307, resolve("/login"));
  return { me };
};
