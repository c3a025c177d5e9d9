import type { ResourceAccess, SharePermission } from "$lib/gql/graphql";

// What the signed-in user may do with a knowledge base, from its `access` field. The server refuses anything more
// (FORBIDDEN); the page only hides what would be refused, so that nobody is offered a button that cannot work.

/** Whether the user may change the knowledge base: add, reindex and delete documents, edit chunks. */
export function canEdit(access: ResourceAccess): boolean {
  return access !== "VIEWER";
}

/** Whether the user may delete the knowledge base and share it: its owner or an admin. */
export function canManage(access: ResourceAccess): boolean {
  return access === "OWNER" || access === "ADMIN";
}

/** Whether the knowledge base is someone else's, shared with the user. */
export function isShared(access: ResourceAccess): access is ResourceAccess & SharePermission {
  return access === "VIEWER" || access === "EDITOR";
}

/** How a permission or a shared access reads on the page. */
export const PERMISSION_LABELS: Record<SharePermission, string> = {
  VIEWER: "Viewer",
  EDITOR: "Editor",
};
