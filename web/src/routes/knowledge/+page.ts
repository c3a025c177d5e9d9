import { requireUser } from "$lib/components/knowledge/session";
import type { PageLoad } from "./$types";

export const load: PageLoad = async () => ({ me: await requireUser() });
